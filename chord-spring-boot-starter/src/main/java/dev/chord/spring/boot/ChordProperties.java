package dev.chord.spring.boot;

import dev.chord.Chord;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code chord.*} properties. A setting left out is not passed on, so the library's own default
 * applies ({@link Chord.Builder}, {@code RedisBackend.Builder}, {@code PostgresBackend.Builder});
 * the builders check every value and the message names it. (The descriptions below are plain text:
 * the configuration processor copies them into the metadata IDEs show.)
 *
 * @param backend Where contexts are stored: memory (default), redis or redis-cluster (both need
 *     dev.chord:chord-redis), postgres (needs dev.chord:chord-jdbc and a DataSource bean).
 * @param deltaThreshold The most deltas kept per context; a client further behind gets the whole
 *     context. Default: Chord.Builder.DEFAULT_DELTA_THRESHOLD.
 * @param deltaTtl How long deltas are kept before cleanup drops them. Default:
 *     Chord.Builder.DEFAULT_DELTA_TTL.
 * @param contextTtl Delete contexts unchanged for this long, at cleanup. Default: contexts are
 *     kept.
 * @param cleanupInterval Run cleanup this often, on a daemon thread of the Chord's own. Default:
 *     never (call Chord.cleanup() yourself).
 * @param redis Redis settings, for chord.backend=redis or redis-cluster.
 * @param postgres PostgreSQL settings, for chord.backend=postgres.
 */
@ConfigurationProperties("chord")
public record ChordProperties(
    @DefaultValue("memory") BackendKind backend,
    @Nullable Integer deltaThreshold,
    @Nullable Duration deltaTtl,
    @Nullable Duration contextTtl,
    @Nullable Duration cleanupInterval,
    @DefaultValue Redis redis,
    @DefaultValue Postgres postgres) {

  /** The backends {@code chord.backend} names. */
  public enum BackendKind {
    /** {@code InMemoryBackend}: one process, nothing kept across restarts. */
    MEMORY,
    /** {@code RedisBackend.builder(chord.redis.uri)}: one Redis server. */
    REDIS,
    /** {@code RedisBackend.clusterBuilder(chord.redis.uri)}: a Redis Cluster. */
    REDIS_CLUSTER,
    /** {@code PostgresBackend.builder(dataSource)} on the application's {@code DataSource}. */
    POSTGRES
  }

  /**
   * {@code chord.redis.*}.
   *
   * @param uri A Redis URI such as redis://:password@host:6379/2; for redis-cluster,
   *     comma-separated seed URIs. Default: redis://127.0.0.1:6379, as chord-server's.
   * @param keyPrefix The first part of every key and channel name, so that several applications
   *     share one Redis. Default: RedisBackend.DEFAULT_KEY_PREFIX.
   * @param timeout How long a command or a connection attempt may take before it fails; bounds the
   *     health check too. Default: RedisBackend.DEFAULT_TIMEOUT.
   */
  public record Redis(
      @DefaultValue("redis://127.0.0.1:6379") String uri,
      @Nullable String keyPrefix,
      @Nullable Duration timeout) {}

  /**
   * {@code chord.postgres.*}.
   *
   * @param tablePrefix The first part of every table and function name. Default:
   *     PostgresBackend.DEFAULT_TABLE_PREFIX.
   * @param timeout How long a statement may take before it fails; bounds the health check too. Keep
   *     the pool's connection timeout (spring.datasource.hikari.connection-timeout) at most this
   *     long. Default: PostgresBackend.DEFAULT_TIMEOUT.
   * @param createSchema Create the tables and functions at start if missing (idempotent); false
   *     when a migration tool runs db/chord/V1__chord_schema.sql instead. Default: true.
   */
  public record Postgres(
      @Nullable String tablePrefix,
      @Nullable Duration timeout,
      @DefaultValue("true") boolean createSchema) {}
}
