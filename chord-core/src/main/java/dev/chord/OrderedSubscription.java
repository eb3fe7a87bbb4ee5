package dev.chord;

import dev.chord.spi.Backend;
import dev.chord.spi.Feed;
import dev.chord.spi.History;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a backend's feed of one context (maybe out of order, repeated, with holes, or missing whole
 * incarnations) into the exact sequence a {@link ContextListener} relies on: every {@code onDelta}
 * applies to the state of the same epoch one version below, every {@code onReset} replaces the
 * state, and together they end at the stored state.
 *
 * <p>The subscription holds the (epoch, version) its listener is at ({@code null}, 0: absent). A
 * record of that epoch at or below it is a repeat; one above the next version is a hole, filled
 * from the stored history of the same epoch. A version 1 of a new epoch while absent is a creation,
 * except after a re-read found the context absent: that read may have run ahead of records still
 * queued, so the creation is delivered only if the stored history is of its epoch, and otherwise
 * its epoch is retired and the listener re-reads. (The read of {@link #start} is exempt: nothing is
 * retired then, so a stale creation's later records, of an epoch the listener did not see, make it
 * re-read.) Anything else (a record of an epoch it did not see begin, a hole that history no longer
 * covers, a reset the backend signals) is resolved by reading what is stored and, where that is
 * another state, handing it to the listener as a reset. Epochs the listener has left are remembered
 * for a while, so their late records are dropped without a read.
 *
 * <p>One thread handles the queue at a time (whoever finds it idle), so the listener is never
 * called concurrently with itself; resets are items of the same queue as records, so each is judged
 * in the order the backend reported it. An item is removed only once it has been handled: when a
 * read of the backend fails, the item stays first in the queue and is handled again on the next
 * event or, if none comes, after a back-off (100 ms doubling to 5 s) on the retry scheduler.
 */
final class OrderedSubscription implements Feed, Subscription {
  private static final Logger log = LoggerFactory.getLogger(OrderedSubscription.class);

  /** How many left epochs are remembered to drop their late records without a read. */
  private static final int RETIRED_EPOCHS = 16;

  private static final long FIRST_RETRY_MILLIS = 100;
  private static final long LAST_RETRY_MILLIS = 5_000;

  private final String contextId;
  private final Backend backend;
  private final ContextListener listener;
  private final TimeScale time;
  private final Consumer<Throwable> onListenerError;
  private final Supplier<ScheduledExecutorService> retries;

  /** {@link DeltaRecord}s and {@link Reset}s, in the order the backend reported them. */
  private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();

  private final AtomicBoolean draining = new AtomicBoolean();

  /** Set while a retry after a failed read is scheduled. */
  private final AtomicBoolean retryScheduled = new AtomicBoolean();

  /** The delay of the next retry; guarded by draining. */
  private long retryMillis = FIRST_RETRY_MILLIS;

  /** Set once {@link #start} has read the initial state; items wait until then. */
  private volatile boolean started;

  private volatile boolean closed;

  /** The listener's epoch, {@code null} while the context is absent; guarded by draining. */
  private @Nullable String epoch;

  /** The listener's version, 0 while absent; guarded by draining. */
  private long version;

  /**
   * Whether the listener is absent because a re-read said so rather than by a delete in order (or
   * the initial read): that read may have run ahead of queued items, so a creation that arrives now
   * may be of an incarnation that has gone already; guarded by draining.
   */
  private boolean absentByRead;

  /** Epochs the listener has left, oldest first; guarded by draining. */
  private final Map<String, Boolean> retired =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > RETIRED_EPOCHS;
        }
      };

  OrderedSubscription(
      String contextId,
      Backend backend,
      ContextListener listener,
      TimeScale time,
      Consumer<Throwable> onListenerError,
      Supplier<ScheduledExecutorService> retries) {
    this.contextId = contextId;
    this.backend = backend;
    this.listener = listener;
    this.time = time;
    this.onListenerError = onListenerError;
    this.retries = retries;
  }

  /**
   * Takes the stored state as the listener's starting point ({@link ContextListener#onStart}) and
   * handles what queued meanwhile. Call once, after the backend feed is registered, so that nothing
   * committed after this read is missed. No other event can be delivered before it returns.
   */
  void start() {
    Optional<Context> current = backend.get(contextId);
    epoch = current.map(Context::epoch).orElse(null);
    version = current.map(Context::version).orElse(0L);
    try {
      listener.onStart(current.map(time::toApi));
    } catch (RuntimeException | Error e) {
      log.warn("listener of '{}' failed on its start", contextId, e);
      onListenerError.accept(e);
    }
    started = true;
    drain();
  }

  @Override
  public void onDelta(DeltaRecord record) {
    inbox.add(record);
    drain();
  }

  @Override
  public void onReset(@Nullable String epoch, long version) {
    inbox.add(new Reset(epoch, version));
    drain();
  }

  @Override
  public void close() {
    closed = true;
  }

  /**
   * Handles queued items unless another thread is at it. The outer loop re-checks after releasing
   * the flag: an item queued by a thread that found the flag taken would otherwise wait for the
   * next event.
   */
  private void drain() {
    while (!closed && started && !inbox.isEmpty()) {
      if (!draining.compareAndSet(false, true)) {
        return;
      }
      try {
        Object item;
        while (!closed && (item = inbox.peek()) != null) {
          try {
            handle(item);
          } catch (RuntimeException e) {
            log.warn(
                "subscription to '{}' could not read the backend; retrying in {} ms or on the next"
                    + " event",
                contextId,
                retryMillis,
                e);
            scheduleRetry();
            return;
          }
          retryMillis = FIRST_RETRY_MILLIS;
          inbox.poll();
        }
      } finally {
        draining.set(false);
      }
    }
  }

  /** Drains again after the back-off, unless a retry is pending already; guarded by draining. */
  private void scheduleRetry() {
    if (!retryScheduled.compareAndSet(false, true)) {
      return;
    }
    long delay = retryMillis;
    retryMillis = Math.min(LAST_RETRY_MILLIS, retryMillis * 2);
    try {
      var unused =
          retries
              .get()
              .schedule(
                  () -> {
                    retryScheduled.set(false);
                    drain();
                  },
                  delay,
                  TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // The Chord is closing: nothing will be delivered any more.
      retryScheduled.set(false);
    }
  }

  private void handle(Object item) {
    if (item instanceof Reset reset) {
      onBackendReset(reset);
    } else {
      onRecord((DeltaRecord) item);
    }
  }

  private void onRecord(DeltaRecord record) {
    String recordEpoch = record.epoch();
    if (recordEpoch != null && recordEpoch.equals(epoch)) {
      if (record.version() <= version) {
        return;
      }
      if (record.version() > version + 1 && !catchUp(record.version() - 1)) {
        resync();
        return;
      }
      deliver(record);
    } else if (retired.containsKey(recordEpoch)) {
      return;
    } else if (epoch == null && record.version() == 1) {
      if (!absentByRead || isStoredEpoch(recordEpoch)) {
        deliver(record);
      } else {
        retire(recordEpoch);
        resync();
      }
    } else {
      resync();
    }
  }

  private void onBackendReset(Reset reset) {
    if (reset.epoch() == null) {
      resync();
    } else if (retired.containsKey(reset.epoch())) {
      // The listener has left that incarnation already (a re-read ran ahead of this message).
      return;
    } else if (reset.version() == 0) {
      if (reset.epoch().equals(epoch)) {
        leave(null, 0);
        absentByRead = false;
        announce(Optional.empty());
      } else if (epoch != null) {
        // A delete of an incarnation the listener never saw: it missed a change, start over.
        retire(reset.epoch());
        resync();
      } else {
        retire(reset.epoch());
      }
    } else if (!reset.epoch().equals(epoch)) {
      resync();
    }
  }

  /** Whether the stored history is of {@code recordEpoch}: one read of at most one delta. */
  private boolean isStoredEpoch(String recordEpoch) {
    return backend
        .history(contextId, 0, 1)
        .map(history -> history.epoch().equals(recordEpoch))
        .orElse(false);
  }

  /**
   * Delivers the stored records after the listener's version up to {@code through}, if the stored
   * history of the listener's epoch still has all of them.
   *
   * @return whether the listener is now at {@code through}
   */
  private boolean catchUp(long through) {
    Optional<History> history = backend.history(contextId, version, Integer.MAX_VALUE);
    if (history.isEmpty() || !history.get().epoch().equals(epoch)) {
      return false;
    }
    List<DeltaRecord> deltas = history.get().deltas();
    if (deltas.isEmpty() || deltas.get(0).version() != version + 1) {
      return false;
    }
    for (DeltaRecord stored : deltas) {
      if (stored.version() > through) {
        break;
      }
      deliver(stored);
    }
    return version == through;
  }

  /**
   * Brings the listener to what is stored now: by the missing records of its own epoch when the
   * history still has them, otherwise by a reset to the stored context (or to "absent").
   */
  private void resync() {
    Optional<History> history = backend.history(contextId, version, Integer.MAX_VALUE);
    if (history.isPresent() && history.get().epoch().equals(epoch)) {
      long stored = history.get().version();
      if (stored == version || (stored > version && catchUp(stored))) {
        return;
      }
    }
    Optional<Context> current = backend.get(contextId);
    if (current.isEmpty()) {
      absentByRead = true;
      if (epoch != null) {
        leave(null, 0);
        announce(Optional.empty());
      }
      return;
    }
    Context context = current.get();
    if (context.epoch().equals(epoch) && context.version() == version) {
      return;
    }
    leave(context.epoch(), context.version());
    announce(current);
  }

  /** Moves the listener's state to ({@code newEpoch}, {@code newVersion}). */
  private void leave(@Nullable String newEpoch, long newVersion) {
    if (epoch != null && !epoch.equals(newEpoch)) {
      retire(epoch);
    }
    epoch = newEpoch;
    version = newVersion;
  }

  private void retire(String left) {
    retired.put(left, Boolean.TRUE);
  }

  private void deliver(DeltaRecord record) {
    if (!record.epoch().equals(epoch)) {
      leave(record.epoch(), record.version());
    }
    version = record.version();
    if (closed) {
      return;
    }
    try {
      listener.onDelta(time.toApi(record));
    } catch (RuntimeException | Error e) {
      log.warn("listener of '{}' failed on version {}", contextId, record.version(), e);
      onListenerError.accept(e);
    }
  }

  private void announce(Optional<Context> current) {
    if (closed) {
      return;
    }
    try {
      listener.onReset(current.map(time::toApi));
    } catch (RuntimeException | Error e) {
      log.warn("listener of '{}' failed on a reset", contextId, e);
      onListenerError.accept(e);
    }
  }

  /** In the queue: the backend's {@link Feed#onReset}. */
  private record Reset(@Nullable String epoch, long version) {}
}
