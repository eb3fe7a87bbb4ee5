/**
 * Micrometer meters for Chord: {@link dev.chord.micrometer.ChordMetrics}. Micrometer's core is an
 * automatic module ({@code micrometer.core}); its types are part of this module's API.
 */
@SuppressWarnings("requires-transitive-automatic")
module dev.chord.micrometer {
  requires transitive dev.chord;
  requires transitive micrometer.core;

  exports dev.chord.micrometer;
}
