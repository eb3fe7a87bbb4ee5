package dev.chord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.Chord;
import dev.chord.redis.RedisBackend;
import dev.chord.spi.Backend;
import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code chord.backend=redis} and {@code redis-cluster} against real Redis servers, and the health
 * indicator against one that is killed. Key prefixes are this class's own and random.
 */
class ChordRedisIT {
  private final String prefix = "spring-it-" + UUID.randomUUID().toString().substring(0, 8);

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  ChordAutoConfiguration.class, ChordHealthAutoConfiguration.class));

  @Test
  void redis_storesUnderTheKeyPrefixOnTheRedisOfTheUri() {
    String uri = RedisServers.standalone();
    runner
        .withPropertyValues(
            "chord.backend=redis", "chord.redis.uri=" + uri, "chord.redis.key-prefix=" + prefix)
        .run(
            context -> {
              assertThat(context.getBean(Backend.class)).isInstanceOf(RedisBackend.class);
              Chord chord = context.getBean(Chord.class);
              chord.setContext("room", Map.of("topic", "redis"));
              try (RedisBackend same = RedisBackend.builder(uri).keyPrefix(prefix).build();
                  RedisBackend other = RedisBackend.builder(uri).keyPrefix(prefix + "-x").build()) {
                assertThat(same.get("room").orElseThrow().data())
                    .isEqualTo(Map.of("topic", "redis"));
                assertThat(other.get("room")).isEmpty();
              } finally {
                chord.deleteContext("room");
              }
            });
  }

  @Test
  void redisCluster_storesOnTheCluster() {
    String seeds = RedisServers.cluster();
    runner
        .withPropertyValues(
            "chord.backend=redis-cluster",
            "chord.redis.uri=" + seeds,
            "chord.redis.key-prefix=" + prefix)
        .run(
            context -> {
              Chord chord = context.getBean(Chord.class);
              chord.setContext("room", Map.of("topic", "cluster"));
              try (RedisBackend same =
                  RedisBackend.clusterBuilder(seeds).keyPrefix(prefix).build()) {
                assertThat(same.get("room").orElseThrow().data())
                    .isEqualTo(Map.of("topic", "cluster"));
              } finally {
                chord.deleteContext("room");
              }
            });
  }

  @Test
  void redisTimeout_isPassedToTheBackend() {
    runner
        .withPropertyValues(
            "chord.backend=redis",
            "chord.redis.uri=" + RedisServers.standalone(),
            "chord.redis.timeout=0s")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessage("timeout must be positive, was PT0S"));
  }

  @Test
  void redisKeyPrefix_isCheckedByTheBackend() {
    runner
        .withPropertyValues(
            "chord.backend=redis",
            "chord.redis.uri=" + RedisServers.standalone(),
            "chord.redis.key-prefix=a{b")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a{b"));
  }

  @Test
  void health_upWhileRedisAnswers_downOnceItIsKilled() throws Exception {
    try (RedisServer redis = RedisServers.own()) {
      runner
          .withPropertyValues(
              "chord.backend=redis", "chord.redis.uri=" + redis.uri(), "chord.redis.timeout=500ms")
          .run(
              context -> {
                HealthIndicator indicator =
                    context.getBean("chordHealthIndicator", HealthIndicator.class);
                Health up = indicator.health();
                assertThat(up.getStatus()).isEqualTo(Status.UP);
                assertThat(up.getDetails()).containsEntry("backend", "RedisBackend");

                redis.kill();
                Health down = indicator.health();
                assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                assertThat(down.getDetails()).containsKey("error");

                // The backend reconnects by itself, after a back-off of Lettuce's.
                redis.restart();
                await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> indicator.health().getStatus().equals(Status.UP));
              });
    }
  }
}
