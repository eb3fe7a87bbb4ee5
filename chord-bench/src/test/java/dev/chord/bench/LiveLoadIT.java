package dev.chord.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chord.testsupport.Services;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LiveLoad} for real, for a few seconds: it starts chord-server's fat jar (built before this
 * module; {@code chord.serverJar}) with compression on, connects reading and never-reading clients
 * offering {@code permessage-deflate}, writes, and its JSON file holds figures that fit what was
 * offered. Without the jar, {@code jcmd} or {@code ss} the test is skipped, or fails with {@code
 * CI=true}.
 */
class LiveLoadIT {
  private static final int READERS = 30;
  private static final int STALLED = 3;
  private static final int CONTEXTS = 2;
  private static final double RATE = 20;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void shortRun_compressionOn_everyReaderCaughtUpAndFiguresFitTheOffer(@TempDir Path dir)
      throws Exception {
    Path jar =
        Services.require(
            "chord-server's fat jar (with jcmd and ss)",
            () -> {
              Path built =
                  Path.of(
                      System.getProperty(
                          "chord.serverJar", "../chord-server/target/chord-server.jar"));
              if (!Files.isRegularFile(built)) {
                throw new IOException(
                    built.toAbsolutePath().normalize()
                        + " is missing: package chord-server first"
                        + " (mvn -pl chord-server package -DskipTests)");
              }
              Services.requireExecutable("jcmd", "openjdk-17-jdk-headless");
              Services.requireExecutable("ss", "iproute2");
              return built;
            });
    Path out = dir.resolve("live-it.json");

    LiveLoad.run(
        "--server-jar",
        jar.toString(),
        "--xmx",
        "256m",
        "--server-args",
        "--ws-compression=on",
        "--server-log",
        dir.resolve("server.log").toString(),
        "--name",
        "it",
        "--readers",
        Integer.toString(READERS),
        "--stalled",
        Integer.toString(STALLED),
        "--contexts",
        Integer.toString(CONTEXTS),
        "--rate",
        Double.toString(RATE),
        "--payload",
        "2000",
        "--seconds",
        "3",
        "--warmup",
        "1",
        "--deflate",
        "plain",
        "--out",
        out.toString());

    JsonNode figures = new ObjectMapper().readTree(out.toFile());
    JsonNode connected = figures.path("connected");
    JsonNode run = figures.path("run");
    JsonNode catchUp = figures.path("catchUp");
    assertThat(figures.path("serverCommand").asText()).contains("--ws-compression=on");
    assertThat(connected.path("open").asInt()).isEqualTo(READERS + STALLED);
    assertThat(connected.path("failed").asInt()).isZero();
    assertThat(connected.path("compressed").asInt())
        .as("every upgrade accepted permessage-deflate")
        .isEqualTo(READERS + STALLED);

    assertThat(catchUp.path("readersBehind").asInt()).isZero();
    assertThat(catchUp.path("holes").asInt()).isZero();
    assertThat(run.path("holes").asInt()).isZero();
    assertThat(run.path("writesFailed").asInt()).isZero();

    // What was offered in the counted seconds, with slack for the warm-up's messages still on the
    // way when counting began and for the writer catching up after a pause.
    double offeredMessages = READERS * RATE / CONTEXTS;
    assertThat(run.path("updatesPerSecond").asDouble()).isPositive().isLessThan(1.5 * RATE);
    assertThat(run.path("messagesPerSecond").asDouble())
        .isPositive()
        .isLessThan(1.5 * offeredMessages);
    assertThat(run.path("versionsPerSecond").asDouble())
        .isGreaterThanOrEqualTo(run.path("messagesPerSecond").asDouble())
        .isLessThan(1.5 * offeredMessages);
    assertThat(run.path("lagSamples").asLong()).isPositive();
    assertThat(run.path("oldestLagP99Millis").asDouble()).isPositive();

    for (String phase : new String[] {"baseline", "connected", "end"}) {
      assertThat(figures.path(phase).path("heapAfterGc").asLong()).as(phase).isPositive();
      assertThat(figures.path(phase).path("rss").asLong()).as(phase).isPositive();
    }
    assertThat(run.path("samples")).isNotEmpty();
    assertThat(run.path("samples"))
        .allSatisfy(sample -> assertThat(sample.path("rss").asLong()).isPositive());

    assertThat(
            run.path("sendQueueMaxBytes").asLong() > 0
                || figures.path("closed").path("stalled").asDouble() > 0)
        .as(
            "the never-reading clients leave bytes in the server's Send-Q or are closed: %s",
            run.path("samples"))
        .isTrue();

    assertThat(run.path("inflatedBytes").asLong()).isPositive();
    assertThat(run.path("wireBytes").asLong())
        .as("compressed on the wire")
        .isLessThan(run.path("inflatedBytes").asLong());
    assertThat(figures.path("closed").isObject()).as("%s", figures.path("closed")).isTrue();
  }
}
