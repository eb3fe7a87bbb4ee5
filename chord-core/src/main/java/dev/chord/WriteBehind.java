package dev.chord;

import dev.chord.ChordEvent.Operation;
import dev.chord.ChordEvent.Outcome;
import dev.chord.spi.Backend;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports contexts to the configured {@link ContextExporter}: on demand ({@link #exportNow}, for
 * eviction) and, with {@link Chord.Builder#exportOnChange}, behind every change.
 *
 * <p>Write-behind: a commit only marks its context dirty (one map insert, never I/O, so it never
 * waits for the store). A flush runs every {@code maxDelay / 2}; it takes every dirty id out of the
 * set, reads the context's newest version from the backend and exports that, so a burst of changes
 * becomes one export of the newest version and a change is exported at most about {@code maxDelay /
 * 2} plus the export time after it. A change made while a flush runs marks the id dirty again and
 * is exported by the next flush.
 *
 * <p>Failures are never dropped: each is reported as an {@link Operation#EXPORT} event with {@link
 * Outcome#ERROR} (and logged), the id stays dirty and is retried after a back-off that doubles from
 * 100 ms to 30 s per failure in a row, reset by a success. {@link #close()} flushes every dirty id
 * once more, back-off or not, and names those that still failed.
 *
 * <p>Concurrency: every export (flush, eviction, close) reads the context and hands it to the
 * exporter under one lock, so this node hands an exporter the versions of one epoch in increasing
 * order, never an older one after a newer one; {@link #exclusively} takes the same lock, so no
 * export outlives a delete.
 */
final class WriteBehind implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WriteBehind.class);
  private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final Backend backend;
  private final ContextExporter exporter;
  private final TimeScale time;
  private final Telemetry telemetry;

  /**
   * Dirty ids: failures in a row (0: fresh) and, after a failure, the earliest {@link
   * System#nanoTime} to retry.
   */
  private final Map<String, Pending> dirty = new ConcurrentHashMap<>();

  private final Object exportLock = new Object();

  /**
   * Held for a whole flush: {@link #close()} waits for a running one, which may put a failed id
   * back, before its own last flush, so that it sees every id still dirty.
   */
  private final Object flushLock = new Object();

  private final @Nullable ScheduledFuture<?> flushes;

  private record Pending(int failures, long notBefore) {
    /** Due at the next flush. */
    static final Pending FRESH = new Pending(0, 0);

    boolean due(long now) {
      return failures == 0 || notBefore - now <= 0;
    }
  }

  /**
   * @param maxDelay {@code null}: exports only on demand ({@link #changed} does nothing)
   * @param scheduler where flushes run, required with {@code maxDelay}
   */
  WriteBehind(
      Backend backend,
      ContextExporter exporter,
      TimeScale time,
      Telemetry telemetry,
      @Nullable Duration maxDelay,
      @Nullable ScheduledExecutorService scheduler) {
    this.backend = backend;
    this.exporter = exporter;
    this.time = time;
    this.telemetry = telemetry;
    if (maxDelay == null || scheduler == null) {
      this.flushes = null;
    } else {
      long every = Math.max(1, maxDelay.toNanos() / 2);
      this.flushes =
          scheduler.scheduleWithFixedDelay(() -> flush(false), every, every, TimeUnit.NANOSECONDS);
    }
  }

  /** Notes that {@code contextId} changed: the next flush exports it. Never blocks on I/O. */
  void changed(String contextId) {
    if (flushes != null) {
      dirty.putIfAbsent(contextId, Pending.FRESH);
    }
  }

  /**
   * Exports {@code context} now, or the backend's current state of it if that is a later version of
   * the same epoch.
   *
   * @return whether that was handed to the exporter; {@code false} if the context is gone or was
   *     re-created, or if reading or exporting failed (reported as an {@link Operation#EXPORT}
   *     event)
   */
  boolean exportNow(Context context) {
    synchronized (exportLock) {
      return exportCurrent(context.contextId(), context);
    }
  }

  /**
   * Runs {@code step} under the export lock. Every export reads the context and hands it over under
   * that lock, so a delete (the backend's and the exporter's) run here cannot fall between another
   * export's read and its hand-over (which would bring a deleted context back into the store), and
   * an export on demand ({@link Chord#exportContext}) run here cannot hand the exporter an older
   * version after a newer one. Dirty marks of a deleted id stay; their flush finds nothing.
   */
  void exclusively(Runnable step) {
    synchronized (exportLock) {
      step.run();
    }
  }

  /**
   * Exports every dirty id whose back-off has passed ({@code all}: every dirty id); a failed one is
   * dirty again, with a longer back-off.
   */
  private void flush(boolean all) {
    synchronized (flushLock) {
      flushDirty(all);
    }
  }

  private void flushDirty(boolean all) {
    long now = System.nanoTime();
    for (Map.Entry<String, Pending> entry : dirty.entrySet()) {
      Pending pending = entry.getValue();
      String contextId = entry.getKey();
      if ((!all && !pending.due(now)) || !dirty.remove(contextId, pending)) {
        continue;
      }
      boolean ok;
      synchronized (exportLock) {
        ok = exportCurrent(contextId, null);
      }
      if (!ok) {
        int failures = pending.failures + 1;
        long backoff =
            Math.min(MAX_BACKOFF_NANOS, FIRST_BACKOFF_NANOS << Math.min(failures - 1, 20));
        // A change made meanwhile put a fresh entry; the failure's back-off replaces it.
        dirty.put(contextId, new Pending(failures, System.nanoTime() + backoff));
      }
    }
  }

  /**
   * Reads the context and hands it to the exporter, reporting the outcome as an {@link
   * Operation#EXPORT} event; call under the export lock.
   *
   * @param atLeast when given: export only a state of its epoch at its version or later
   * @return whether it was exported; {@code true} for a context that is gone (nothing to export),
   *     unless {@code atLeast} was given
   */
  private boolean exportCurrent(String contextId, @Nullable Context atLeast) {
    try {
      return telemetry.observe(
          Operation.EXPORT,
          contextId,
          () -> {
            Optional<Context> read = backend.get(contextId);
            if (read.isEmpty()) {
              return atLeast == null;
            }
            Context current = read.get();
            if (atLeast != null
                && (!current.epoch().equals(atLeast.epoch())
                    || current.version() < atLeast.version())) {
              return false;
            }
            try {
              exporter.export(time.toApi(current));
            } catch (Exception e) {
              throw new ChordException(
                  "exporter failed for '"
                      + contextId
                      + "' at version "
                      + current.version()
                      + ": "
                      + e,
                  e);
            }
            return true;
          },
          exported -> exported ? Outcome.OK : Outcome.NOT_FOUND);
    } catch (RuntimeException e) {
      log.warn("export of '{}' failed; will retry", contextId, e);
      return false;
    }
  }

  /**
   * Stops the flushes, waits for one that is running, and exports every dirty id once more. A write
   * that races {@code close()} (it began before and commits after) may miss this last flush: close
   * a Chord once its writers have stopped.
   *
   * @throws ChordException naming the contexts whose newest version could not be exported
   */
  @Override
  public void close() {
    if (flushes == null) {
      return;
    }
    flushes.cancel(false);
    flush(true);
    if (!dirty.isEmpty()) {
      throw new ChordException(
          "write-behind: the newest version of "
              + dirty.keySet()
              + " was not exported (the exporter failed; see the EXPORT events)");
    }
  }
}
