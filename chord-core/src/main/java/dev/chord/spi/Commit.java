package dev.chord.spi;

import dev.chord.Context;
import dev.chord.DeltaRecord;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One atomic write: store {@code context} and append {@code delta} to its history, but only if the
 * stored context is still the state the write was computed from, ({@link #expectedEpoch()}, {@code
 * expectedVersion}); then drop the oldest deltas so that at most {@code maxDeltas} remain.
 *
 * <p>A commit never changes the epoch of an existing context: the base of an update is ({@code
 * context.epoch()}, {@code expectedVersion}). A create ({@code expectedVersion} 0) brings the new
 * incarnation's epoch in {@code context.epoch()}. Version numbers repeat across incarnations of an
 * id, so a backend that compared the version alone could write a change computed from one
 * incarnation onto another: every backend must compare both.
 *
 * @param context the new version of the context; {@code context.version() == expectedVersion + 1},
 *     its epoch non-null
 * @param delta the delta that leads from {@code expectedVersion} to {@code context}, same version
 *     and epoch
 * @param expectedVersion the version the write was computed from; 0 means "the context is absent"
 * @param maxDeltas how many deltas the context may keep at most, at least 1
 */
public record Commit(Context context, DeltaRecord delta, long expectedVersion, int maxDeltas) {

  public Commit {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(delta, "delta");
    if (context.version() != expectedVersion + 1 || delta.version() != context.version()) {
      throw new IllegalArgumentException(
          "a commit moves from version n to n + 1: expected "
              + expectedVersion
              + ", context "
              + context.version()
              + ", delta "
              + delta.version());
    }
    if (!context.contextId().equals(delta.contextId())) {
      throw new IllegalArgumentException("context and delta ids differ");
    }
    if (context.epoch() == null || !context.epoch().equals(delta.epoch())) {
      throw new IllegalArgumentException(
          "a commit's context and delta carry one epoch: context "
              + context.epoch()
              + ", delta "
              + delta.epoch());
    }
    if (maxDeltas < 1) {
      throw new IllegalArgumentException("maxDeltas must be at least 1, was " + maxDeltas);
    }
  }

  /** The context id. */
  public String contextId() {
    return context.contextId();
  }

  /** Whether this commit creates the context ({@code expectedVersion} 0). */
  public boolean creates() {
    return expectedVersion == 0;
  }

  /**
   * The epoch the stored context must have for the commit to apply: {@code context.epoch()} for an
   * update, {@code null} for a create (the context must be absent).
   */
  public @Nullable String expectedEpoch() {
    return creates() ? null : context.epoch();
  }
}
