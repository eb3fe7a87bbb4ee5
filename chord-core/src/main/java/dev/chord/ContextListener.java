package dev.chord;

import java.util.Optional;

/**
 * Receives what happens to one context, in order: {@link Chord#subscribe(String, ContextListener)}.
 *
 * <p>The rule a listener relies on: starting from {@link #onStart}, applying every {@link #onReset}
 * (state := its context, or absent) and every {@link #onDelta} (only ever on the state of the same
 * epoch, at {@code version - 1}) keeps it exactly at the stored state. Each event comes exactly
 * once, one at a time.
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

  /**
   * The state the subscription starts from (empty: absent), before any other event; the first
   * onDelta continues from it. Called once, by {@link Chord#subscribe(String, ContextListener)},
   * before it returns. The default hands it to {@link #onReset}, so that a listener applying the
   * rule is exact from its very first event whatever it held before; override it to take the
   * starting state some other way.
   */
  default void onStart(Optional<Context> current) {
    onReset(current);
  }
}
