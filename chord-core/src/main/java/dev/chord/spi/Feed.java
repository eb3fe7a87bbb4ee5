package dev.chord.spi;

import dev.chord.DeltaRecord;

/**
 * What a backend tells a subscription of one context ({@link Backend#subscribe}): the deltas
 * committed to it, and resets where its versions do not simply continue.
 */
@FunctionalInterface
public interface Feed {

  /** A delta committed to the context, by this process or, for shared storage, any other. */
  void onDelta(DeltaRecord record);

  /**
   * The context's versions start again from {@code version}: 0 after a delete, the restored version
   * after a restore. Deltas that follow continue from it. A backend whose storage several processes
   * share must signal these for deletes and restores made by any of them, in order with the deltas
   * of that context; Chord tolerates repeats.
   */
  default void onReset(long version) {}
}
