package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.redis.RedisBackend;
import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** /health/ready against a real, private redis-server that is killed and started again. */
class HealthRedisIT {
  @Test
  void ready_isDownWhileRedisIs_andBackAfter() throws Exception {
    try (RedisServer redis = RedisServers.own();
        ChordServer server =
            ServerFixture.start(
                b ->
                    b.backend(
                            RedisBackend.builder(redis.uri())
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                            "redis")
                        .readyTimeout(Duration.ofSeconds(3)))) {
      Http http = new Http(server.url());
      assertThat(http.get("/health/ready").json())
          .containsEntry("status", "ready")
          .containsEntry("backend", "redis");

      redis.kill();
      Http.Reply down = http.get("/health/ready");
      assertThat(down.status()).isEqualTo(503);
      assertThat(down.json()).containsEntry("error", "backend_unavailable");
      assertThat(http.get("/health/live").status()).isEqualTo(200);
      assertThat(http.get("/metrics").status()).as("metrics need no backend").isEqualTo(200);

      redis.restart();
      await().atMost(Duration.ofSeconds(30)).until(() -> http.get("/health/ready").status() == 200);
    }
  }
}
