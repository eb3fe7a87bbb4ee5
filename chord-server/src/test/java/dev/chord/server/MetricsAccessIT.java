package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** Who may scrape /metrics, and that --no-metrics leaves no endpoint. */
class MetricsAccessIT {
  private static final String SECRET = "metrics-secret-0123456789";
  private static final String TOKEN = "scraper-token-0123456789";

  private static String token(Right... rights) {
    return Tokens.mint(
        SECRET, "*", EnumSet.copyOf(java.util.List.of(rights)), Instant.now().plusSeconds(600));
  }

  @Test
  void authOn_metricsToken_orAdminToken() {
    try (ChordServer server = ServerFixture.start(b -> b.authSecret(SECRET).metricsToken(TOKEN))) {
      Http http = new Http(server.url());
      Http.Reply none = http.get("/metrics");
      assertThat(none.status()).isEqualTo(401);
      assertThat(none.json()).containsEntry("error", "unauthorized");
      assertThat(http.withToken("wrong-token-0123456789").get("/metrics").status()).isEqualTo(401);
      assertThat(http.withToken(token(Right.READ, Right.WRITE)).get("/metrics").json())
          .containsEntry("error", "forbidden");
      Http.Reply scraper = http.withToken(TOKEN).get("/metrics");
      assertThat(scraper.status()).isEqualTo(200);
      assertThat(scraper.body()).contains("jvm_memory_used_bytes");
      assertThat(http.withToken(token(Right.ADMIN)).get("/metrics").status()).isEqualTo(200);
    }
  }

  @Test
  void authOff_metricsToken_isStillNeeded() {
    try (ChordServer server = ServerFixture.start(b -> b.metricsToken(TOKEN))) {
      Http http = new Http(server.url());
      assertThat(http.get("/metrics").json()).containsEntry("error", "unauthorized");
      assertThat(http.withToken(TOKEN).get("/metrics").status()).isEqualTo(200);
    }
  }

  @Test
  void authOff_noToken_open() {
    try (ChordServer server = ServerFixture.start()) {
      assertThat(new Http(server.url()).get("/metrics").status()).isEqualTo(200);
      assertThat(server.meterRegistry()).isPresent();
    }
  }

  @Test
  void metricsOff_noEndpointNoRegistry() {
    try (ChordServer server = ServerFixture.start(b -> b.metrics(false))) {
      Http.Reply reply = new Http(server.url()).get("/metrics");
      assertThat(reply.status()).isEqualTo(404);
      assertThat(reply.json()).containsEntry("error", "not_found");
      assertThat(server.meterRegistry()).isEmpty();
      assertThat(new Http(server.url()).get("/health/ready").status()).isEqualTo(200);
    }
  }
}
