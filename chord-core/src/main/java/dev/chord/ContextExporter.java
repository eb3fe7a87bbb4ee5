package dev.chord;

/**
 * Receives a context from {@link Chord#exportContext}, for example to save it in a database.
 * Whatever it throws reaches the caller wrapped in a {@link ChordException}.
 */
@FunctionalInterface
public interface ContextExporter {
  void export(Context context) throws Exception;
}
