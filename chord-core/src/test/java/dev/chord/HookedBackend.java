package dev.chord;

import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.Backend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ContextPage;
import dev.chord.spi.Feed;
import dev.chord.spi.ForwardingBackend;
import java.util.Optional;

/**
 * An in-memory backend with hooks, to force interleavings that real concurrency produces only
 * sometimes: {@code afterDelete}, {@code afterRestore} and {@code afterList} run inside the backend
 * call, after it took effect and before Chord sees it return.
 */
class HookedBackend extends ForwardingBackend {
  volatile Runnable afterDelete = () -> {};
  volatile Runnable afterRestore = () -> {};
  volatile Runnable afterList = () -> {};

  /** When set, answers {@link #getForCommit} in place of the storage, as a stale cache would. */
  volatile Optional<Context> staleCopy;

  /** When set, every commit fails with it before reaching storage. */
  volatile RuntimeException commitFailure;

  /** Makes the feed misbehave as a remote one may: late, repeated and out-of-order records. */
  volatile boolean unreliableFeed;

  HookedBackend() {
    this(InMemoryBackend.create());
  }

  /** Forwards to {@code delegate}; closing this one leaves the delegate open. */
  HookedBackend(Backend delegate) {
    super(delegate);
  }

  @Override
  public Optional<Context> getForCommit(String contextId) {
    Optional<Context> stale = staleCopy;
    return stale != null ? stale : super.getForCommit(contextId);
  }

  @Override
  public CommitResult commit(Commit commit) {
    RuntimeException failure = commitFailure;
    if (failure != null) {
      throw failure;
    }
    return super.commit(commit);
  }

  @Override
  public void restore(Context context) {
    super.restore(context);
    afterRestore.run();
  }

  @Override
  public boolean delete(String contextId) {
    boolean deleted = super.delete(contextId);
    afterDelete.run();
    return deleted;
  }

  @Override
  public ContextPage listContexts(String cursor, int limit) {
    ContextPage page = super.listContexts(cursor, limit);
    afterList.run();
    return page;
  }

  @Override
  public AutoCloseable subscribe(String contextId, Feed feed) {
    return super.subscribe(contextId, unreliableFeed ? new Unreliable(feed) : feed);
  }

  @Override
  public void close() {}

  /**
   * Holds back every version divisible by 3 until the next record, then sends it late; sends every
   * record and every reset twice.
   */
  private static final class Unreliable implements Feed {
    private final Feed feed;
    private DeltaRecord held;

    Unreliable(Feed feed) {
      this.feed = feed;
    }

    @Override
    public synchronized void onDelta(DeltaRecord record) {
      if (record.version() % 3 == 0) {
        held = record;
        return;
      }
      feed.onDelta(record);
      if (held != null) {
        feed.onDelta(held);
        held = null;
      }
      feed.onDelta(record);
    }

    @Override
    public synchronized void onReset(String epoch, long version) {
      feed.onReset(epoch, version);
      feed.onReset(epoch, version);
    }
  }
}
