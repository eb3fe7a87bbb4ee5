package dev.chord.spi;

import dev.chord.Context;
import dev.chord.DeltaRecord;
import java.util.Objects;

/**
 * One atomic write: store {@code context} and append {@code delta} to its history, but only if the
 * stored version is still {@code expectedVersion}; then drop the oldest deltas so that at most
 * {@code maxDeltas} remain.
 *
 * @param context the new version of the context; {@code context.version() == expectedVersion + 1}
 * @param delta the delta that leads from {@code expectedVersion} to {@code context}, same version
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
    if (maxDeltas < 1) {
      throw new IllegalArgumentException("maxDeltas must be at least 1, was " + maxDeltas);
    }
  }

  /** The context id. */
  public String contextId() {
    return context.contextId();
  }
}
