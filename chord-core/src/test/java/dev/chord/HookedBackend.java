package dev.chord;

import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.Backend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ContextPage;
import dev.chord.spi.Feed;
import dev.chord.spi.ForwardingBackend;
import dev.chord.spi.History;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An in-memory backend with hooks, to force interleavings that real concurrency produces only
 * sometimes: {@code afterDelete}, {@code afterRestore} and {@code afterList} run inside the backend
 * call, after it took effect and before Chord sees it return. Its feed can lose records and resets
 * as a remote one may, and reads of the history can fail.
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

  /** Records it accepts never reach subscribers, as if their message was lost. */
  volatile Predicate<DeltaRecord> lostRecords = record -> false;

  /** When set, resets never reach subscribers. */
  volatile boolean lostResets;

  /** How many of the next {@link #history} calls fail before reaching storage. */
  final AtomicInteger historyFailures = new AtomicInteger();

  /** Every feed subscribed through this backend, so a test can resend to it as a backend may. */
  final List<Feed> subscribers = new CopyOnWriteArrayList<>();

  /** How many {@link #get} and {@link #history} calls were made. */
  final AtomicInteger reads = new AtomicInteger();

  HookedBackend() {
    this(InMemoryBackend.create());
  }

  /** Forwards to {@code delegate}; closing this one leaves the delegate open. */
  HookedBackend(Backend delegate) {
    super(delegate);
  }

  @Override
  public Optional<Context> get(String contextId) {
    reads.incrementAndGet();
    return super.get(contextId);
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
  public Optional<History> history(String contextId, long afterVersion, int maxDeltas) {
    reads.incrementAndGet();
    if (historyFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new BackendException("history unavailable (test)");
    }
    return super.history(contextId, afterVersion, maxDeltas);
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
    subscribers.add(feed);
    return super.subscribe(contextId, new Lossy(unreliableFeed ? new Unreliable(feed) : feed));
  }

  @Override
  public void close() {}

  /** Drops what {@link #lostRecords} and {@link #lostResets} say. */
  private final class Lossy implements Feed {
    private final Feed feed;

    Lossy(Feed feed) {
      this.feed = feed;
    }

    @Override
    public void onDelta(DeltaRecord record) {
      if (!lostRecords.test(record)) {
        feed.onDelta(record);
      }
    }

    @Override
    public void onReset(String epoch, long version) {
      if (!lostResets) {
        feed.onReset(epoch, version);
      }
    }
  }

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
