package dev.chord.server;

import dev.chord.spi.Backend;

/** Opens the Redis backend for {@code --backend redis}. */
final class RedisBackends {
  private RedisBackends() {}

  static Backend connect(String uri) {
    throw new IllegalArgumentException(
        "--backend redis is not available in this build (module chord-redis is missing); uri " + uri);
  }
}
