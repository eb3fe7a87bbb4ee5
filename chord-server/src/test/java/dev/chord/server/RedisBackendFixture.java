package dev.chord.server;

import dev.chord.redis.RedisBackend;
import dev.chord.testsupport.RedisServer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/** One redis-server per test class; each server started gets its own key prefix. */
final class RedisBackendFixture {
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  private RedisBackendFixture() {}

  static ChordServer start(RedisServer redis, UnaryOperator<ChordServer.Builder> settings) {
    String prefix = "t" + ProcessHandle.current().pid() + "x" + PREFIXES.incrementAndGet();
    return ServerFixture.start(
        b ->
            settings.apply(
                b.backend(RedisBackend.builder(redis.uri()).keyPrefix(prefix).build(), "redis")));
  }
}
