package dev.chord;

/**
 * Receives a context from {@link Chord#exportContext}, for example to save it in a database.
 * Whatever it throws reaches the caller wrapped in a {@link ChordException}.
 */
@FunctionalInterface
public interface ContextExporter {
  /** Saves {@code context}, replacing what was saved for its id. */
  void export(Context context) throws Exception;

  /**
   * Removes what was exported for {@code contextId}, if anything; {@link Chord#deleteContext} calls
   * it after the backend's copy is deleted, so that a delete sticks. An exporter whose copies feed
   * {@link Chord.Builder#restoreOnMiss} (a store that is also the {@link ContextProvider}) must
   * implement it: otherwise the next access to a deleted id brings the context back from the store.
   * The default does nothing (an exporter that only archives may keep its copies).
   *
   * @throws Exception if the copy could not be removed; it reaches the caller of {@code
   *     deleteContext} wrapped in a {@link ChordException}
   */
  default void delete(String contextId) throws Exception {}
}
