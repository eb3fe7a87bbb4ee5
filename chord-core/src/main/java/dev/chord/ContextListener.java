package dev.chord;

import java.util.Optional;

/**
 * Receives what happens to one context, in order: {@link Chord#subscribe(String,
 * ContextListener)}.
 *
 * <p>The rule a listener relies on: applying every {@link #onReset} (state := its context, or
 * absent) and every {@link #onDelta} (only ever on the state of the same epoch, at {@code version -
 * 1}) keeps it exactly at the stored state. Each event comes exactly once, one at a time.
 */
public interface ContextListener {

  /**
   * The next delta of the context: {@code record.version()} is one above the state the listener
   * holds, in the same epoch, or {@code 1} (a new incarnation's creation, new epoch) when the
   * listener's state is "absent".
   */
  void onDelta(DeltaRecord record);

  /**
   * The context was deleted (empty) or replaced by another incarnation (restore; delete and
   * create), through any node; the next onDelta continues from this state.
   */
  void onReset(Optional<Context> current);
}
