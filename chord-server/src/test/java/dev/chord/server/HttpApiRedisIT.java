package dev.chord.server;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link HttpApiIT} on the Redis backend. */
class HttpApiRedisIT extends HttpApiIT {
  static RedisProcess redis;

  @BeforeAll
  static void startRedis() throws Exception {
    redis = RedisProcess.start();
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
