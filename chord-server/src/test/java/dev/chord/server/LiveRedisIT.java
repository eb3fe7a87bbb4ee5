package dev.chord.server;

import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link LiveIT} on the Redis backend. */
class LiveRedisIT extends LiveIT {
  static RedisServer redis;

  @BeforeAll
  static void startRedis() throws Exception {
    redis = RedisServers.own();
  }

  @AfterAll
  static void stopRedis() throws Exception {
    if (redis != null) {
      redis.close();
    }
  }

  @Override
  ChordServer start(UnaryOperator<ChordServer.Builder> settings) {
    return RedisBackendFixture.start(redis, settings);
  }

  @Override
  String backendName() {
    return "redis";
  }
}
