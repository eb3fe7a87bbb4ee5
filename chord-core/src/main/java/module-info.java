/**
 * Chord's core: the API ({@code dev.chord}), the backend SPI ({@code dev.chord.spi}) and the
 * in-memory backend ({@code dev.chord.memory}). {@code dev.chord.internal} is exported only to
 * Chord's own modules.
 */
module dev.chord {
  requires transitive org.slf4j;
  requires transitive org.jspecify;
  requires Paguro;

  exports dev.chord;
  exports dev.chord.spi;
  exports dev.chord.memory;
  exports dev.chord.internal to
      dev.chord.redis;
}
