package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  static final String SECRET = "cli-secret-0123456789";

  @Test
  void defaults_areMemoryOnLoopbackPort7070() {
    Main main = new Main();
    new CommandLine(main).parseArgs();
    assertThat(main.host).isEqualTo(System.getenv().getOrDefault("CHORD_HOST", "127.0.0.1"));
    assertThat(main.port)
        .isEqualTo(Integer.parseInt(System.getenv().getOrDefault("CHORD_PORT", "7070")));
    assertThat(main.backend).isEqualTo(System.getenv().getOrDefault("CHORD_BACKEND", "memory"));
    assertThat(main.maxBodyBytes).isEqualTo(1024 * 1024);
    assertThat(main.deltaTtl).isEqualTo(Duration.ofHours(24));
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
}
