package dev.chord.spring.boot;

import dev.chord.jdbc.PostgresBackend;
import dev.chord.memory.InMemoryBackend;
import dev.chord.redis.RedisBackend;
import dev.chord.spi.Backend;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.util.ClassUtils;

/**
 * The backend {@code chord.backend} names. The Redis and PostgreSQL modules are optional: each is
 * touched only from a nested class of its own, loaded only when that backend is asked for, so an
 * application without chord-redis or chord-jdbc never loads their types.
 */
final class Backends {
  private Backends() {}

  /**
   * A new backend for {@code properties}; the Chord built on it closes it. {@code classLoader} is
   * the application context's, where the optional modules are looked for.
   *
   * @throws IllegalStateException if the backend's module, or for postgres a {@code DataSource}, is
   *     missing
   */
  static Backend create(
      ChordProperties properties,
      Supplier<@Nullable DataSource> dataSource,
      @Nullable ClassLoader classLoader) {
    return switch (properties.backend()) {
      case MEMORY -> InMemoryBackend.create();
      case REDIS -> {
        require("dev.chord.redis.RedisBackend", classLoader, "redis", "dev.chord:chord-redis");
        yield Redis.standalone(properties.redis());
      }
      case REDIS_CLUSTER -> {
        require(
            "dev.chord.redis.RedisBackend", classLoader, "redis-cluster", "dev.chord:chord-redis");
        yield Redis.cluster(properties.redis());
      }
      case POSTGRES -> {
        require("dev.chord.jdbc.PostgresBackend", classLoader, "postgres", "dev.chord:chord-jdbc");
        DataSource source = dataSource.get();
        if (source == null) {
          throw new IllegalStateException(
              "chord.backend=postgres needs a DataSource bean (spring.datasource.url, or one of"
                  + " your own)");
        }
        yield Postgres.create(properties.postgres(), source);
      }
    };
  }

  /** Fails unless {@code className} can be loaded, as {@code @ConditionalOnClass} would check. */
  private static void require(
      String className, @Nullable ClassLoader classLoader, String backend, String artifact) {
    if (!ClassUtils.isPresent(className, classLoader)) {
      throw new IllegalStateException(
          "chord.backend=" + backend + " needs " + artifact + " on the class path");
    }
  }

  /** Passes a property on if it was set. */
  private static <T> void set(@Nullable T value, Consumer<T> setting) {
    if (value != null) {
      setting.accept(value);
    }
  }

  private static final class Redis {
    static Backend standalone(ChordProperties.Redis p) {
      return configured(RedisBackend.builder(p.uri()), p).build();
    }

    static Backend cluster(ChordProperties.Redis p) {
      return configured(RedisBackend.clusterBuilder(p.uri()), p).build();
    }

    private static RedisBackend.Builder configured(
        RedisBackend.Builder builder, ChordProperties.Redis p) {
      set(p.keyPrefix(), builder::keyPrefix);
      set(p.timeout(), builder::timeout);
      return builder;
    }
  }

  private static final class Postgres {
    static Backend create(ChordProperties.Postgres p, DataSource dataSource) {
      PostgresBackend.Builder builder = PostgresBackend.builder(dataSource);
      set(p.tablePrefix(), builder::tablePrefix);
      set(p.timeout(), builder::timeout);
      PostgresBackend backend = builder.build();
      if (p.createSchema()) {
        try {
          backend.createSchema();
        } catch (RuntimeException e) {
          backend.close();
          throw e;
        }
      }
      return backend;
    }
  }
}
