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
 * @param base the context the write was computed from, as the backend handed it out ({@code null}
 *     when creating, or when unknown). Version numbers repeat across incarnations of an id (a
 *     delete and create starts again at 1, a restore sets any version), so a backend that can tell
 *     the stored context from {@code base} at the same version must refuse the commit then too; the
 *     in-memory backend compares the very object it handed out.
 */
public record Commit(
    Context context, DeltaRecord delta, long expectedVersion, int maxDeltas, Context base) {

  /** A commit that names only the expected version, not the context it was computed from. */
  public Commit(Context context, DeltaRecord delta, long expectedVersion, int maxDeltas) {
    this(context, delta, expectedVersion, maxDeltas, null);
  }

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
    if (base != null && base.version() != expectedVersion) {
      throw new IllegalArgumentException(
          "base is at version " + base.version() + ", expected " + expectedVersion);
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
