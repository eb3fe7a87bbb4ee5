package dev.chord;

import java.util.Objects;

/**
 * What a client at some version needs to reach the current version of a context: the whole context,
 * one merged delta, or nothing.
 */
public sealed interface SyncResult {

  /** The current version of the context: the version the client has after applying this. */
  long version();

  /**
   * The whole context: the client had nothing, was ahead of the server (another incarnation of the
   * id), too far behind, or part of the history it needs is no longer stored.
   */
  record Full(Context context) implements SyncResult {
    public Full {
      Objects.requireNonNull(context, "context");
    }

    @Override
    public long version() {
      return context.version();
    }
  }

  /**
   * One delta that takes a client from {@code fromVersion} to {@code version}: every stored change
   * between the two, merged.
   *
   * @param insertedAt the {@code insertedAt} of the current version
   */
  record Patch(String contextId, long fromVersion, long version, Delta delta, long insertedAt)
      implements SyncResult {
    public Patch {
      Objects.requireNonNull(contextId, "contextId");
      Objects.requireNonNull(delta, "delta");
    }
  }

  /** The client is at the current version. */
  record NoChange(long version) implements SyncResult {}
}
