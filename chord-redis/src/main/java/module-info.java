/**
 * The Redis and Redis Cluster backend: {@link dev.chord.redis.RedisBackend}. Everything else in the
 * module is internal.
 */
module dev.chord.redis {
  requires transitive dev.chord;
  requires dev.chord.json;
  requires lettuce.core;
  requires io.netty.common;
  requires com.fasterxml.jackson.core;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;

  exports dev.chord.redis;
}
