package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --metrics, --no-metrics, --metrics=false, --metrics-token, --access-log, --ready-timeout. */
class MainMetricsOptionsTest {
  private static Main parse(String... args) {
    Main main = new Main();
    new CommandLine(main).parseArgs(args);
    return main;
  }

  @Test
  void metrics_onByDefault_offEitherWay() {
    assumeTrue(System.getenv("CHORD_METRICS") == null, "CHORD_METRICS is set");
    assertThat(parse().metrics).isTrue();
    assertThat(parse("--metrics").metrics).isTrue();
    assertThat(parse("--no-metrics").metrics).isFalse();
    assertThat(parse("--metrics=false").metrics).isFalse();
    try (ChordServer server = parse("--port", "0", "--no-metrics").builder().start()) {
      assertThat(server.meterRegistry()).isEmpty();
    }
    try (ChordServer server = parse("--port", "0").builder().start()) {
      assertThat(server.meterRegistry()).isPresent();
    }
  }

  @Test
  void metricsToken_reachesTheServer() {
    String token = "scrape-token-0123456789";
    try (ChordServer server = parse("--port", "0", "--metrics-token", token).builder().start()) {
      Http http = new Http(server.url());
      assertThat(http.get("/metrics").status()).isEqualTo(401);
      assertThat(http.withToken(token).get("/metrics").status()).isEqualTo(200);
    }
  }

  @Test
  void accessLogAndReadyTimeout_parse() {
    assumeTrue(System.getenv("CHORD_ACCESS_LOG") == null, "CHORD_ACCESS_LOG is set");
    assertThat(parse().accessLog).isFalse();
    assertThat(parse("--access-log").accessLog).isTrue();
    assertThat(parse("--ready-timeout", "500ms").readyTimeout).hasMillis(500);
    assertThat(Main.commandLine().getUsageMessage())
        .contains("--[no-]metrics")
        .contains("--metrics-token")
        .contains("--ready-timeout")
        .doesNotContain("${");
  }
}
