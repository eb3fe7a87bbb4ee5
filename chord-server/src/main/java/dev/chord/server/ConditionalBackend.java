package dev.chord.server;

import dev.chord.Context;
import dev.chord.spi.Backend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ContextPage;
import dev.chord.spi.Feed;
import dev.chord.spi.History;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A {@link Backend} decorator that makes one write conditional on the version the client saw
 * ({@code If-Match}), without a conditional write in the {@code Chord} API.
 *
 * <p>{@code Chord} computes each write from the version it read and commits it with that version as
 * {@link Commit#expectedVersion()}; the backend checks it atomically. Inside {@link #expecting}, a
 * commit computed from any other version, or refused by the backend because another writer got
 * there first, throws {@link VersionConflict} instead of letting {@code Chord} retry. So the write
 * lands only at exactly the version the client named, on one node or many sharing a backend.
 */
final class ConditionalBackend implements Backend {
  private final Backend delegate;
  private final ThreadLocal<Long> expected = new ThreadLocal<>();

  ConditionalBackend(Backend delegate) {
    this.delegate = delegate;
  }

  /** Runs {@code write} so that it commits only on top of {@code version} (0: absent). */
  <T> T expecting(long version, Supplier<T> write) {
    expected.set(version);
    try {
      return write.get();
    } finally {
      expected.remove();
    }
  }

  @Override
  public CommitResult commit(Commit commit) {
    Long want = expected.get();
    if (want != null && commit.expectedVersion() != want) {
      throw new VersionConflict(commit.expectedVersion());
    }
    CommitResult result = delegate.commit(commit);
    if (want != null && result instanceof CommitResult.Conflict conflict) {
      throw new VersionConflict(conflict.current().map(Context::version).orElse(0L));
    }
    return result;
  }

  @Override
  public Optional<Context> get(String contextId) {
    return delegate.get(contextId);
  }

  /**
   * A conditional write starts from a current read: a cached copy behind the stored version would
   * make the write look computed from another version and fail a condition that holds.
   */
  @Override
  public Optional<Context> getForCommit(String contextId) {
    return expected.get() != null ? delegate.get(contextId) : delegate.getForCommit(contextId);
  }

  @Override
  public Optional<History> history(String contextId, long afterVersion, int maxDeltas) {
    return delegate.history(contextId, afterVersion, maxDeltas);
  }

  @Override
  public void restore(Context context) {
    delegate.restore(context);
  }

  @Override
  public boolean delete(String contextId) {
    return delegate.delete(contextId);
  }

  @Override
  public boolean deleteIfVersion(String contextId, long version) {
    return delegate.deleteIfVersion(contextId, version);
  }

  @Override
  public long deleteDeltasBefore(String contextId, long insertedBefore) {
    return delegate.deleteDeltasBefore(contextId, insertedBefore);
  }

  @Override
  public ContextPage listContexts(String cursor, int limit) {
    return delegate.listContexts(cursor, limit);
  }

  @Override
  public AutoCloseable subscribe(String contextId, Feed feed) {
    return delegate.subscribe(contextId, feed);
  }

  @Override
  public void close() {
    delegate.close();
  }

  /** The context was not at the version the write required; nothing was stored. */
  static final class VersionConflict extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long currentVersion;

    VersionConflict(long currentVersion) {
      super("context is at version " + currentVersion, null, false, false);
      this.currentVersion = currentVersion;
    }

    long currentVersion() {
      return currentVersion;
    }
  }
}
