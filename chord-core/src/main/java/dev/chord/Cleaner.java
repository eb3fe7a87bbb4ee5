package dev.chord;

import dev.chord.spi.Backend;
import dev.chord.spi.ContextInfo;
import dev.chord.spi.ContextPage;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expires what TTLs say: deltas older than {@code deltaTtl} and, with {@code contextTtl}, contexts
 * unchanged for longer; with {@code evictAfter}, hands contexts unchanged for that long to the
 * {@link Evictor} (which exports them and removes the hot copy). A context is deleted only if it is
 * still at the epoch and version it was listed at ({@link Backend#deleteIf}), so a context updated,
 * re-created or restored after the listing survives. All times are compared in the backend's
 * milliseconds.
 */
final class Cleaner {
  private static final Logger log = LoggerFactory.getLogger(Cleaner.class);

  /** The most contexts asked for in one page of {@link Backend#listContexts}. */
  private static final int PAGE = 1000;

  private final Backend backend;
  private final Clock clock;
  private final Duration deltaTtl;
  private final @Nullable Duration contextTtl;
  private final @Nullable Duration evictAfter;
  private final @Nullable Evictor evictor;

  /** Guards {@link #cursor}: limited passes continue one another. */
  private final Object cursorLock = new Object();

  /** Where the next limited pass continues; {@code null}: at the start. */
  private @Nullable String cursor;

  /** Moves an idle context out of the hot backend. */
  interface Evictor {
    /**
     * Evicts the context if it is still at the listed epoch and version.
     *
     * @return whether it was removed from the backend
     */
    boolean evict(ContextInfo listed);
  }

  /**
   * @param contextTtl how long a context may stay unchanged; {@code null}: contexts are kept
   * @param evictAfter how long a context may stay unchanged before it is evicted; {@code null}: no
   *     eviction
   * @param evictor required with {@code evictAfter}
   */
  Cleaner(
      Backend backend,
      Clock clock,
      Duration deltaTtl,
      @Nullable Duration contextTtl,
      @Nullable Duration evictAfter,
      @Nullable Evictor evictor) {
    this.backend = backend;
    this.clock = clock;
    this.deltaTtl = deltaTtl;
    this.contextTtl = contextTtl;
    this.evictAfter = evictor == null ? null : evictAfter;
    this.evictor = evictor;
  }

  /** One pass over every context. */
  CleanupReport all() {
    return pass(null, Integer.MAX_VALUE).report;
  }

  /** A pass over at most {@code limit} contexts, continuing where the previous one stopped. */
  CleanupReport next(int limit) {
    synchronized (cursorLock) {
      Pass pass = pass(cursor, limit);
      cursor = pass.nextCursor;
      return pass.report;
    }
  }

  /**
   * Runs {@code cleanup} on {@code scheduler} every {@code interval}, logging what fails.
   *
   * @return cancel it to stop
   */
  static ScheduledFuture<?> schedule(
      ScheduledExecutorService scheduler, Duration interval, Supplier<CleanupReport> cleanup) {
    long every = interval.toMillis();
    return scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            CleanupReport unused = cleanup.get();
          } catch (RuntimeException e) {
            log.warn("scheduled cleanup failed", e);
          }
        },
        every,
        every,
        TimeUnit.MILLISECONDS);
  }

  private record Pass(CleanupReport report, @Nullable String nextCursor) {}

  private Pass pass(@Nullable String from, int limit) {
    long now = clock.millis();
    long deltaCutoff = now - deltaTtl.toMillis();
    long contextCutoff = contextTtl != null ? now - contextTtl.toMillis() : Long.MIN_VALUE;
    long evictCutoff = evictAfter != null ? now - evictAfter.toMillis() : Long.MIN_VALUE;
    int examined = 0;
    int contextsDeleted = 0;
    long deltasDeleted = 0;
    int contextsEvicted = 0;
    String next = from;
    do {
      ContextPage page = backend.listContexts(next, Math.min(limit - examined, PAGE));
      for (ContextInfo info : page.contexts()) {
        examined++;
        if (info.insertedAt() < contextCutoff
            && backend.deleteIf(info.contextId(), info.epoch(), info.version())) {
          contextsDeleted++;
        } else if (info.insertedAt() < evictCutoff && evictor != null && evictor.evict(info)) {
          log.debug("evicted '{}' at version {}", info.contextId(), info.version());
          contextsEvicted++;
        } else {
          deltasDeleted += backend.deleteDeltasBefore(info.contextId(), deltaCutoff);
        }
      }
      next = page.nextCursor();
    } while (next != null && examined < limit);
    return new Pass(new CleanupReport(contextsDeleted, deltasDeleted, contextsEvicted), next);
  }
}
