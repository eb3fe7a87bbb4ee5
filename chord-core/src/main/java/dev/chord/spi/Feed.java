package dev.chord.spi;

import dev.chord.DeltaRecord;
import org.jspecify.annotations.Nullable;

/**
 * What a backend tells a subscription of one context ({@link Backend#subscribe}): the deltas
 * committed to it, and resets where its incarnation changes other than by a commit.
 */
@FunctionalInterface
public interface Feed {

  /** A delta committed to the context, by this process or, for shared storage, any other. */
  void onDelta(DeltaRecord record);

  /**
   * The incarnation changed without a commit. {@code version} 0: the incarnation {@code epoch} was
   * deleted. Otherwise the context was restored and is now at ({@code epoch}, {@code version});
   * deltas that follow continue from it. A backend whose storage several processes share must
   * signal these for deletes and restores made by any of them, in order with the deltas of that
   * context. {@code epoch} {@code null}: the backend may have missed messages (after a reconnect,
   * say) and cannot tell what changed; Chord reads the current state. Chord tolerates repeats.
   */
  default void onReset(@Nullable String epoch, long version) {}
}
