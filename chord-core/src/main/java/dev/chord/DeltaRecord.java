package dev.chord;

import java.util.Objects;

/**
 * The delta that produced one version of a context, as stored in its history and delivered to
 * {@linkplain Chord#subscribe subscribers}.
 *
 * @param contextId the context id
 * @param version the version this delta produced
 * @param delta the change from {@code version - 1} to {@code version}
 * @param insertedAt the time of that change, in the configured unit
 */
public record DeltaRecord(String contextId, long version, Delta delta, long insertedAt) {
  public DeltaRecord {
    Objects.requireNonNull(contextId, "contextId");
    Objects.requireNonNull(delta, "delta");
  }
}
