package dev.chord;

/**
 * Receives a {@link ChordEvent} after every public {@link Chord} operation (telemetry). Called on
 * the caller's thread; keep it fast. What it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface ChordListener {
  void onEvent(ChordEvent event);
}
