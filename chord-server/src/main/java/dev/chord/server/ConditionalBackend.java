package dev.chord.server;

import dev.chord.Context;
import dev.chord.spi.Backend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ForwardingBackend;
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
final class ConditionalBackend extends ForwardingBackend {
  private final ThreadLocal<Long> expected = new ThreadLocal<>();

  ConditionalBackend(Backend delegate) {
    super(delegate);
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
    CommitResult result = super.commit(commit);
    if (want != null && result instanceof CommitResult.Conflict conflict) {
      throw new VersionConflict(conflict.current().map(Context::version).orElse(0L));
    }
    return result;
  }

  /**
   * A conditional write starts from a current read: a cached copy behind the stored version would
   * make the write look computed from another version and fail a condition that holds.
   */
  @Override
  public Optional<Context> getForCommit(String contextId) {
    return expected.get() != null ? get(contextId) : super.getForCommit(contextId);
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
