package dev.chord;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a client at some (epoch, version) needs to reach the current state of a context: the whole
 * context, one merged delta, or nothing.
 */
public sealed interface SyncResult {

  /** The current version of the context: the version the client has after applying this. */
  long version();

  /**
   * The epoch of the current incarnation: what the client keeps with {@link #version()} and sends
   * back on its next sync. {@code null} only for a result built by hand without one.
   */
  @Nullable String epoch();

  /**
   * The whole context: the client had nothing, holds another incarnation (another epoch, or ahead
   * of the server), is too far behind, or part of the history it needs is no longer stored.
   */
  record Full(Context context) implements SyncResult {
    public Full {
      Objects.requireNonNull(context, "context");
    }

    @Override
    public long version() {
      return context.version();
    }

    @Override
    public @Nullable String epoch() {
      return context.epoch();
    }
  }

  /**
   * One delta that takes a client from {@code fromVersion} to {@code version} within one epoch:
   * every stored change between the two, merged.
   *
   * @param insertedAt the {@code insertedAt} of the current version
   * @param epoch the epoch both versions belong to; {@code null} only for a patch built by hand
   *     without one
   */
  record Patch(
      String contextId,
      long fromVersion,
      long version,
      Delta delta,
      long insertedAt,
      @Nullable String epoch)
      implements SyncResult {
    public Patch {
      Objects.requireNonNull(contextId, "contextId");
      Objects.requireNonNull(delta, "delta");
    }

    /** A patch without an epoch. */
    public Patch(String contextId, long fromVersion, long version, Delta delta, long insertedAt) {
      this(contextId, fromVersion, version, delta, insertedAt, null);
    }
  }

  /** The client is at the current version of the current epoch. */
  record NoChange(long version, @Nullable String epoch) implements SyncResult {

    /** A no-change answer without an epoch. */
    public NoChange(long version) {
      this(version, null);
    }
  }
}
