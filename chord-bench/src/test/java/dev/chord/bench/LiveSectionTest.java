package dev.chord.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live section of the report, from fixed {@code live-*.json} files in the shape {@link
 * LiveLoad} writes: for each kind of run the class names, the targets its figures are judged
 * against and the verdicts (met, missed, unstable when other processes were busy).
 */
class LiveSectionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * 10,000 readers over 10 contexts at 10 updates/s (1 per context): an idle run, uncompressed,
   * every figure within its target. Figures from a real run on the 2-core machine.
   */
  private static final String IDLE =
      """
      {"name": "idle", "date": "2026-12-04T01:14:16.393Z",
       "machine": "2 cores (nproc)", "jdk": "OpenJDK 17", "loadBefore": "1.10 / 0.82 / 0.52",
       "settings": {"readers": 10000, "stalled": 0, "contexts": 10, "rate": 10.0, "seconds": 30.0,
                    "warmup": 5.0, "payload": 100, "format": "chord", "deflate": "off"},
       "baseline": {"heapAfterGc": 28464128, "rss": 140513280},
       "connected": {"heapAfterGc": 46194688, "rss": 176631280, "seconds": 1.46, "open": 10000,
                     "failed": 0, "compressed": 0, "sockets": 10001,
                     "socketsAtTb": {"131072": 10000, "3939840": 1}, "healthMillis": 5.25,
                     "heapPerConnection": 17731, "rssPerConnection": 36118},
       "run": {"seconds": 30.02, "updatesPerSecond": 9.99, "writesFailed": 0,
               "patchP50Millis": 5.19, "patchP99Millis": 10.5, "messagesPerSecond": 999.39,
               "versionsPerSecond": 999.39, "merges": 0, "holes": 0, "lagSamples": 30000,
               "lagP50Millis": 4.42, "lagP99Millis": 9.75, "lagMaxMillis": 12.9,
               "worstSecondLagP99Millis": 12.33, "sendQueueMaxBytes": 55800, "serverCores": 0.1,
               "loadToolCores": 0.07, "otherCores": 0.04, "wireBytes": 16743630,
               "inflatedBytes": 0,
               "samples": [{"second": 1, "lagSamples": 1000, "lagP99Millis": 9.0,
                            "sendQueueBytes": 0, "largestSendQueue": 0, "sockets": 1001,
                            "finWait": 0, "rss": 177000000}]},
       "catchUp": {"readersBehind": 0, "open": 10000, "closedByServer": 0, "holes": 0,
                   "lastVersions": 361},
       "end": {"heapAfterGc": 47259648, "rss": 207736832},
       "closed": {},
       "loadAfter": "4.10 / 1.68 / 0.83",
       "serverCommand": "java -Xmx2g -jar chord-server.jar --port 40103"}
      """;

  @TempDir Path dir;

  @Test
  void idle_withinTargets_heapAndRssMet() throws IOException {
    String table = render(run(IDLE));

    assertThat(table)
        .contains(
            "**idle** — 10,000 reading and 0 never-reading clients over 10 context(s), 10 updates/s"
                + " of ~100 B for 30 s (after 5 s warm-up), format `chord`, deflate offer `off`;"
                + " 2026-12-04 01:14 UTC; load 1.10 / 0.82 / 0.52 before, 4.10 / 1.68 / 0.83 after;"
                + " `java -Xmx2g -jar chord-server.jar --port 40103`")
        .contains("| connected | 10,000 of 10,000 in 1.46 s, 0 failed | all | **met** |")
        .contains(
            "| live sockets at the send buffer cap | 10,000 of 10,000 connections at `tb` 131,072"
                + " (the other sockets: 1 at 3939840 (HTTP)) | all |  |")
        .contains("| heap per connection (after GC) | 17.7 KB | ≤ 20 KB | **met** |")
        .contains("| RSS per connection | 36.1 KB | ≤ 40 KB | **met** |")
        .contains("| versions delivered to readers | 999/s in 999 messages/s (0 merged) | — |  |")
        .contains(
            "| readers at the last version at the end | 0 behind, 0 holes, 0 closed by the server"
                + " | 0 behind, 0 holes | **met** |")
        .contains("| `chord_live_closed_total` by reason | none | — |  |")
        .doesNotContain("bytes on the wire", "Send-Q after the run", "missed", "unstable");
  }

  @Test
  void idle_aMiss_isMissed_orUnstableWhileOthersAreBusy() throws IOException {
    ObjectNode over =
        run(IDLE, "connected.rssPerConnection", 76304, "connected.heapPerConnection", 20001);

    assertThat(render(over))
        .contains("| heap per connection (after GC) | 20.0 KB | ≤ 20 KB | **missed** |")
        .contains("| RSS per connection | 76.3 KB | ≤ 40 KB | **missed** |");
    assertThat(render(with(over, "run.otherCores", 0.4)))
        .contains(
            "| heap per connection (after GC) | 20.0 KB | ≤ 20 KB | unstable — rerun (busy"
                + " machine) |")
        .contains("| RSS per connection | 76.3 KB | ≤ 40 KB | unstable — rerun (busy machine) |")
        .contains("other processes 0.40 cores | others ≤ 0.25 |");
    assertThat(render(with(over, "run.otherCores", LiveSection.OTHERS_BUSY)))
        .as("exactly a quarter core is not busy")
        .contains("| RSS per connection | 76.3 KB | ≤ 40 KB | **missed** |");
  }

  @Test
  void idle_needsTenThousandConnectionsAndAtMostOneUpdatePerSecondPerContext() throws IOException {
    String fewConnections = render(run(IDLE, "settings.readers", 9999, "connected.open", 9999));
    String busyWriter = render(run(IDLE, "settings.rate", 10.5));

    for (String table : List.of(fewConnections, busyWriter)) {
      assertThat(table)
          .contains("| heap per connection (after GC) | 17.7 KB | — |  |")
          .contains("| RSS per connection | 36.1 KB | — |  |");
    }
  }

  @Test
  void idle_compressed_hasTheCompressionRssTargetAndTheBytesSaved() throws IOException {
    String table =
        render(
            run(
                IDLE,
                "settings.deflate",
                "plain",
                "connected.compressed",
                10000,
                "connected.rssPerConnection",
                63999,
                "run.wireBytes",
                10735300,
                "run.inflatedBytes",
                16665400));

    assertThat(table)
        .contains("deflate offer `plain`")
        .contains(
            "| connected | 10,000 of 10,000 in 1.46 s, 0 failed, 10,000 with permessage-deflate | all |")
        .contains("| heap per connection (after GC) | 17.7 KB | — |  |")
        .contains("| RSS per connection | 64.0 KB | ≤ 64 KB | **met** |")
        .contains(
            "| bytes on the wire / after inflating | 10,735,300 / 16,665,400 (36% saved) | — |  |");
    assertThat(render(run(IDLE, "settings.deflate", "plain", "run.inflatedBytes", 1)))
        .as("a message that arrived compressed shows it was negotiated")
        .contains("| RSS per connection | 36.1 KB | ≤ 64 KB | **met** |");
  }

  @Test
  void idle_compressionOfferedButNotNegotiated_isJudgedAsUncompressed() throws IOException {
    String table =
        render(run(IDLE, "settings.deflate", "plain", "connected.rssPerConnection", 50000));

    assertThat(table)
        .contains("0 failed, 0 with permessage-deflate | all | **met** |")
        .contains("| heap per connection (after GC) | 17.7 KB | ≤ 20 KB | **met** |")
        .contains("| RSS per connection | 50.0 KB | ≤ 40 KB | **missed** |")
        .doesNotContain("bytes on the wire");
  }

  @Test
  void neverReading_sendQueueWithinStalledTimesCap_andEverySecondsLag() throws IOException {
    ObjectNode slow =
        run(
            IDLE,
            "name",
            "slow",
            "settings.readers",
            20,
            "settings.stalled",
            500,
            "settings.contexts",
            1,
            "settings.rate",
            100.0,
            "connected.open",
            520,
            "connected.socketsAtTb",
            Map.of("131072", 520, "3939840", 1),
            "run.versionsPerSecond",
            1999.73,
            "run.lagP99Millis",
            70.0,
            "run.worstSecondLagP99Millis",
            25.0,
            "run.sendQueueMaxBytes",
            500 * 131072,
            "closed",
            Map.of("stalled", 500.0));

    assertThat(render(slow))
        .contains("| connected | 520 of 520 in 1.46 s, 0 failed | all | **met** |")
        .contains("| heap per connection (after GC) | 17.7 KB | — |  |")
        .contains("| versions delivered to readers | 2,000/s in 999 messages/s (0 merged) | — |  |")
        .as("the run's lag p99 has no target beside never-reading clients, each second's has")
        .contains("| lag p50 / p99 / max | 4.42 / 70 / 12.90 ms (30,000 samples) | — |  |")
        .contains("| worst one-second lag p99 | 25 ms | ≤ 25 ms | **met** |")
        .contains(
            "| server Send-Q, largest total in a sample | 65,536,000 B | ≤ 65,536,000 B | **met** |")
        .contains("| Send-Q after the run | 0 B in the last sample, 0 sockets in FIN-WAIT | — |  |")
        .contains("| `chord_live_closed_total` by reason | stalled 500 | — |  |");

    ObjectNode over =
        with(slow, "run.worstSecondLagP99Millis", 25.01, "run.sendQueueMaxBytes", 500 * 131072 + 1);
    assertThat(render(over))
        .contains("| worst one-second lag p99 | 25.01 ms | ≤ 25 ms | **missed** |")
        .contains(
            "| server Send-Q, largest total in a sample | 65,536,001 B | ≤ 65,536,000 B |"
                + " **missed** |");
    assertThat(render(with(over, "run.otherCores", 0.3)))
        .contains(
            "| worst one-second lag p99 | 25.01 ms | ≤ 25 ms | unstable — rerun (busy machine) |");
  }

  @Test
  void fanOut_everyVersionAtTheOfferedRate_andLagP99() throws IOException {
    ObjectNode fanout =
        run(
            IDLE,
            "name",
            "fanout",
            "settings.readers",
            1000,
            "connected.open",
            1000,
            "catchUp.open",
            1000,
            "settings.contexts",
            1,
            "settings.rate",
            100.0,
            "run.versionsPerSecond",
            99500.0,
            "run.messagesPerSecond",
            99000.0,
            "run.lagP99Millis",
            50.0);

    assertThat(render(fanout))
        .contains("| heap per connection (after GC) | 17.7 KB | — |  |")
        .contains(
            "| versions delivered to readers | 99,500/s in 99,000 messages/s (0 merged) |"
                + " 100,000/s | **met** |")
        .contains(
            "| lag p50 / p99 / max | 4.42 / 50 / 12.90 ms (30,000 samples) | p99 ≤ 50 ms | **met** |")
        .contains("| worst one-second lag p99 | 12.33 ms | — |  |")
        .contains("| server Send-Q, largest total in a sample | 55,800 B | — |  |")
        .doesNotContain("Send-Q after the run");

    ObjectNode slow = with(fanout, "run.versionsPerSecond", 98999.0, "run.lagP99Millis", 5648.38);
    assertThat(render(slow))
        .contains(
            "| versions delivered to readers | 98,999/s in 99,000 messages/s (0 merged) |"
                + " 100,000/s | **missed** |")
        .contains(
            "| lag p50 / p99 / max | 4.42 / 5,648.38 / 12.90 ms (30,000 samples) | p99 ≤ 50 ms |"
                + " **missed** |");
    assertThat(render(with(slow, "run.otherCores", 0.5)))
        .contains("100,000/s | unstable — rerun (busy machine) |")
        .contains("p99 ≤ 50 ms | unstable — rerun (busy machine) |");
  }

  @Test
  void fanOut_withOldestVersionLags_isJudgedOnTheOldestVersion() throws IOException {
    ObjectNode fanout =
        run(
            IDLE,
            "settings.contexts",
            1,
            "settings.rate",
            100.0,
            "run.lagP99Millis",
            30.0,
            "run.oldestLagP50Millis",
            6.0,
            "run.oldestLagP99Millis",
            80.0,
            "run.oldestLagMaxMillis",
            120.0);

    assertThat(render(fanout))
        .contains("| lag p50 / p99 / max | 4.42 / 30 / 12.90 ms (30,000 samples) | — |  |")
        .contains(
            "| lag of a message's oldest version p50 / p99 / max | 6 / 80 / 120 ms | p99 ≤ 50 ms"
                + " | **missed** |");
    assertThat(render(with(fanout, "run.oldestLagP99Millis", 45.0)))
        .contains("| 6 / 45 / 120 ms | p99 ≤ 50 ms | **met** |");
  }

  @Test
  void anyRun_aReaderBehindOrAHole_isMissed() throws IOException {
    assertThat(render(run(IDLE, "catchUp.readersBehind", 3)))
        .contains(
            "| readers at the last version at the end | 3 behind, 0 holes, 0 closed by the server"
                + " | 0 behind, 0 holes | **missed** |");
    assertThat(render(run(IDLE, "catchUp.holes", 1, "catchUp.closedByServer", 2)))
        .contains(
            "| readers at the last version at the end | 0 behind, 1 holes, 2 closed by the server"
                + " | 0 behind, 0 holes | **missed** |");
    assertThat(render(run(IDLE, "catchUp.holes", 1, "run.otherCores", 0.9)))
        .as("a busy machine slows a reader down, it does not make it skip a version")
        .contains("| 0 behind, 0 holes | **missed** |");
    assertThat(render(run(IDLE, "catchUp.readersBehind", 3, "run.otherCores", 0.9)))
        .contains("| 0 behind, 0 holes | unstable — rerun (busy machine) |");
  }

  @Test
  void main_rendersEveryRunByDate_betweenTheMarkers_keepingTheRest() throws IOException {
    Path results = Files.createDirectories(dir.resolve("results"));
    write(
        results.resolve("live-b.json"), run(IDLE, "name", "later", "date", "2026-12-04T02:00:00Z"));
    write(
        results.resolve("live-a.json"),
        run(IDLE, "name", "earlier", "date", "2026-12-04T01:00:00Z"));
    write(results.resolve("redis.json"), run(IDLE, "name", "not a live run"));
    Path markdown = dir.resolve("BENCHMARKS.md");
    String before = "# Benchmarks\n\nhand-written intro\n\n";
    String after = "\n\n### Live connections: notes (hand-written)\n\n- kept as it is\n";
    Files.writeString(
        markdown,
        before + LiveSection.SECTION.begin() + "\nold table\n" + LiveSection.SECTION.end() + after);

    LiveSection.main(
        new String[] {
          "--results", results.toString(), "--markdown", markdown.toString(), "--command", "x"
        });

    String text = Files.readString(markdown);
    assertThat(text)
        .startsWith(
            before + LiveSection.SECTION.begin() + "\n## Live connections (generated by `x`)")
        .endsWith(LiveSection.SECTION.end() + after)
        .doesNotContain("old table", "not a live run");
    assertThat(text.indexOf("**earlier**")).isPositive().isLessThan(text.indexOf("**later**"));
  }

  @Test
  void render_noRun_saysSo() {
    assertThat(LiveSection.render(List.of(), "bench/run.sh quick"))
        .isEqualTo(
            """
            ## Live connections (generated by `bench/run.sh quick`)

            No `LiveLoad` run in this report.
            """);
  }

  /** The run's section, as {@link LiveSection#main} writes it from a results directory. */
  private String render(JsonNode run) throws IOException {
    Path results = Files.createTempDirectory(dir, "results");
    write(results.resolve("live-" + run.path("name").asText() + ".json"), run);
    Path markdown = results.resolve("BENCHMARKS.md");
    LiveSection.main(
        new String[] {"--results", results.toString(), "--markdown", markdown.toString()});
    return Files.readString(markdown);
  }

  private static void write(Path file, JsonNode run) throws IOException {
    JSON.writeValue(file.toFile(), run);
  }

  /** {@code base} with the dotted {@code path, value} pairs set. */
  private static ObjectNode run(String base, Object... pathsAndValues) throws IOException {
    return with((ObjectNode) JSON.readTree(base), pathsAndValues);
  }

  private static ObjectNode with(ObjectNode base, Object... pathsAndValues) {
    ObjectNode copy = base.deepCopy();
    for (int i = 0; i < pathsAndValues.length; i += 2) {
      List<String> path = Arrays.asList(((String) pathsAndValues[i]).split("\\."));
      ObjectNode parent = copy;
      for (String key : path.subList(0, path.size() - 1)) {
        parent = (ObjectNode) parent.get(key);
      }
      parent.set(path.get(path.size() - 1), JSON.valueToTree(pathsAndValues[i + 1]));
    }
    return copy;
  }
}
