package dev.chord.server;

import static dev.chord.server.ChordServerBuilderTest.assertSameFailure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.chord.Chord;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  static final String SECRET = "cli-secret-0123456789";

  @Test
  void absentOptions_areNotPassedOn_theBuildersDefaultsApply() {
    assumeTrue(
        System.getenv().keySet().stream().noneMatch(k -> k.startsWith("CHORD_")),
        "CHORD_* variables in the environment set options");
    Main main = new Main();
    new CommandLine(main).parseArgs();
    assertThat(main.host).isNull();
    assertThat(main.port).isNull();
    assertThat(main.deltaThreshold).isNull();
    assertThat(main.deltaTtl).isNull();
    assertThat(main.maxBodyBytes).isNull();
    assertThat(main.backend).isEqualTo("memory");
    Main served = new Main();
    new CommandLine(served).parseArgs("--port", "0");
    try (ChordServer server = served.builder().start()) {
      assertThat(server.url()).startsWith("http://" + ChordServer.Builder.DEFAULT_HOST + ":");
      assertThat(server.chord().deltaThreshold()).isEqualTo(Chord.Builder.DEFAULT_DELTA_THRESHOLD);
      assertThat(new Http(server.url()).get("/health").json()).containsEntry("backend", "memory");
    }
  }

  @Test
  void help_showsEachDefaultFromItsBuilder() {
    String help = Main.commandLine().getUsageMessage();
    assertThat(help).doesNotContain("null").doesNotContain("${");
    assertThat(help.replaceAll("\\s+", " "))
        .contains("CHORD_PORT; default " + ChordServer.Builder.DEFAULT_PORT + ";")
        .contains("CHORD_HOST; default " + ChordServer.Builder.DEFAULT_HOST + ")")
        .contains("CHORD_DELTA_THRESHOLD; default " + Chord.Builder.DEFAULT_DELTA_THRESHOLD + ")")
        .contains(
            "CHORD_DELTA_TTL; default "
                + Main.DurationConverter.format(Chord.Builder.DEFAULT_DELTA_TTL)
                + ")")
        .contains("CHORD_MAX_BODY_BYTES; default " + ChordServer.Builder.DEFAULT_MAX_BODY_BYTES)
        .contains("CHORD_WS_QUEUE; default " + ChordServer.Builder.DEFAULT_WS_QUEUE_LIMIT);
  }

  @Test
  void chordOptions_reachTheChord() {
    Main main = new Main();
    new CommandLine(main).parseArgs("--port", "0", "--delta-threshold", "7");
    try (ChordServer server = main.builder().start()) {
      assertThat(server.chord().deltaThreshold()).isEqualTo(7);
    }
  }

  @Test
  void badValues_getTheBuildersOwnMessages() {
    assertSameFailure(
        main("--delta-threshold", "0")::builder, () -> Chord.builder().deltaThreshold(0));
    assertSameFailure(
        main("--delta-ttl", "0s")::builder, () -> Chord.builder().deltaTtl(Duration.ZERO));
    assertSameFailure(
        main("--context-ttl", "0ms")::builder, () -> Chord.builder().contextTtl(Duration.ZERO));
    assertSameFailure(
        main("--cleanup-interval", "0m")::builder,
        () -> Chord.builder().cleanupInterval(Duration.ZERO));
    assertSameFailure(
        main("--max-body-bytes", "1")::builder, () -> ChordServer.builder().maxBodyBytes(1));
    assertSameFailure(main("--port", "65536")::builder, () -> ChordServer.builder().port(65536));
  }

  private static Main main(String... args) {
    Main main = new Main();
    new CommandLine(main).parseArgs(args);
    return main;
  }

  @Test
  void durations_formatInTheLargestWholeUnit_andConvertBack() {
    Main.DurationConverter convert = new Main.DurationConverter();
    for (Duration d :
        List.of(
            Duration.ofMillis(1500),
            Duration.ofSeconds(90),
            Duration.ofMinutes(15),
            Duration.ofHours(36),
            Duration.ofDays(7),
            Duration.ofNanos(1))) {
      assertThat(convert.convert(Main.DurationConverter.format(d))).isEqualTo(d);
    }
    assertThat(Main.DurationConverter.format(Duration.ofMinutes(120))).isEqualTo("2h");
    assertThat(Main.DurationConverter.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
  }

  @Test
  void options_reachTheServer() {
    Main main = new Main();
    new CommandLine(main)
        .parseArgs(
            "--port",
            "0",
            "--auth-secret",
            SECRET,
            "--max-body-bytes",
            "100",
            "--delta-ttl",
            "90s");
    try (ChordServer server = main.builder().start()) {
      Http http = new Http(server.url());
      assertThat(http.get("/health").json()).containsEntry("auth", "token");
      String token =
          Tokens.mint(
              SECRET, "*", java.util.EnumSet.allOf(Right.class), Instant.now().plusSeconds(60));
      Http.Reply big = http.withToken(token).put("/contexts/a", Map.of("x", "y".repeat(200)));
      assertThat(big.status()).isEqualTo(413);
    }
  }

  @Test
  void wsCompression_takesOnOrOff_andReachesTheServer() throws Exception {
    for (String value : new String[] {"on", "off"}) {
      Main main = new Main();
      new CommandLine(main).parseArgs("--ws-compression", value, "--port", "0");
      try (ChordServer server = main.builder().start();
          RawWebSocket socket =
              RawWebSocket.connect(
                  java.net.URI.create(server.url() + "/contexts/c/live"),
                  RawWebSocket.Options.defaults().offerDeflate(RawWebSocket.DeflateOffer.PLAIN))) {
        assertThat(socket.acceptedExtensions().startsWith("permessage-deflate"))
            .as("--ws-compression %s", value)
            .isEqualTo(value.equals("on"));
      }
    }
    assertThatThrownBy(() -> new CommandLine(new Main()).parseArgs("--ws-compression"))
        .isInstanceOf(CommandLine.ParameterException.class);
  }

  @Test
  void allowedOrigins_reachTheServer() {
    Main main = new Main();
    new CommandLine(main)
        .parseArgs("--port", "0", "--allowed-origins", "https://a.example,https://b.example:8443");
    assertThat(main.allowedOrigins).containsExactly("https://a.example", "https://b.example:8443");
    try (ChordServer server = main.builder().start()) {
      String path = "/contexts/room:1/live";
      assertThat(Live.upgradeStatus(server.url(), path, Map.of("Origin", "https://b.example:8443")))
          .isEqualTo(101);
      assertThat(Live.upgradeStatus(server.url(), path, Map.of("Origin", "https://c.example")))
          .isEqualTo(403);
    }
    Main bad = new Main();
    new CommandLine(bad).parseArgs("--allowed-origins", "a.example");
    assertThatThrownBy(bad::builder)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a.example");
  }

  @Test
  void tokenCommand_printsATokenTheServerAccepts() {
    StringWriter out = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    int exit =
        cli.execute(
            "token",
            "--secret",
            SECRET,
            "--context",
            "room:1",
            "--rights",
            "read,write",
            "--ttl",
            "1h");
    assertThat(exit).isZero();
    Tokens.Grant grant = Tokens.verify(Tokens.key(SECRET), out.toString().trim(), Instant.now());
    assertThat(grant.scope()).isEqualTo("room:1");
    assertThat(grant.rights()).containsExactlyInAnyOrder(Right.READ, Right.WRITE);
    assertThat(grant.expiresAt())
        .isBetween(
            Instant.now().plusSeconds(3500).getEpochSecond(),
            Instant.now().plusSeconds(3700).getEpochSecond());
  }

  @Test
  void badArguments_exitWithUsageError() {
    CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(new StringWriter()));
    assertThat(cli.execute("--port", "x")).isEqualTo(2);
    assertThat(cli.execute("--delta-ttl", "soon")).isEqualTo(2);
    CommandLine token = Main.commandLine();
    token.setErr(new PrintWriter(new StringWriter()));
    assertThat(token.execute("token", "--secret", "short", "--context", "a")).isEqualTo(2);
    assertThat(token.execute("token", "--secret", SECRET, "--context", "a", "--rights", "root"))
        .isEqualTo(2);
  }

  @Test
  void durations_acceptShortFormsAndIso() {
    Main.DurationConverter convert = new Main.DurationConverter();
    assertThat(convert.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(convert.convert("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(convert.convert("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(convert.convert("24h")).isEqualTo(Duration.ofHours(24));
    assertThat(convert.convert("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(convert.convert("PT1H30M")).isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void storeOptions_badCombinations_clearMessages() {
    assertThatThrownBy(main("--store", "s3")::builder)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--store must be dir or postgres, was 's3'");
    assertThatThrownBy(main("--store", "postgres", "--jdbc-url", "")::builder)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--store postgres needs --jdbc-url (or CHORD_JDBC_URL)");
    assertThatThrownBy(main("--store", "dir")::builder)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--store dir needs --store-dir DIR");
    assertThatThrownBy(main("--export-delay", "2s")::builder)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--export-delay needs a store");
    assertThatThrownBy(main("--evict-after", "1h")::builder)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--evict-after needs a store");
    assertSameFailure(
        main("--store-dir", "target/unused-store", "--export-delay", "0s")::builder,
        () -> Chord.builder().exportOnChange(Duration.ZERO));
    assertSameFailure(
        main("--store-dir", "target/unused-store", "--evict-after", "0s")::builder,
        () -> Chord.builder().evictAfter(Duration.ZERO));
  }
}
