package dev.chord;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The delta that produced one version of a context, as stored in its history and delivered to
 * {@linkplain Chord#subscribe subscribers}.
 *
 * @param contextId the context id
 * @param version the version this delta produced
 * @param delta the change from {@code version - 1} to {@code version}
 * @param insertedAt the time of that change, in the configured unit
 * @param epoch the epoch of the incarnation the delta belongs to (see {@link Context#epoch()});
 *     {@code null} only for a record built by hand without one
 */
public record DeltaRecord(
    String contextId, long version, Delta delta, long insertedAt, @Nullable String epoch) {
  public DeltaRecord {
    Objects.requireNonNull(contextId, "contextId");
    Objects.requireNonNull(delta, "delta");
    if (epoch != null) {
      Epochs.check(epoch);
    }
  }

  /** A record without an epoch. */
  public DeltaRecord(String contextId, long version, Delta delta, long insertedAt) {
    this(contextId, version, delta, insertedAt, null);
  }
}
