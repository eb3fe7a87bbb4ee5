package dev.chord;

import dev.chord.ChordEvent.Operation;
import dev.chord.ChordEvent.Outcome;
import dev.chord.internal.Freezer;
import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.Backend;
import dev.chord.spi.Snapshots;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Versioned contexts with delta history and sync: the one entry point of Chord.
 *
 * <pre>{@code
 * try (Chord chord = Chord.inMemory()) {
 *   chord.setContext("room:1", Map.of("topic", "launch", "participants", Map.of()));
 *   chord.updateContext("room:1", Map.of("participants", Map.of("ann", Map.of("status", "active"))));
 *   SyncResult sync = chord.syncContext("room:1", 1L); // a Patch from version 1 to 2
 * }
 * }</pre>
 *
 * <p>Guarantees: every change gets the next version (1, 2, 3, … per context) and its delta is
 * stored with it atomically; concurrent writers to one context never lose an update or share a
 * version (optimistic commits, retried on conflict); different contexts never wait for each other.
 * Data goes in as JSON-like maps (see {@link Snapshots}) and comes out as immutable snapshots.
 *
 * <p>Instances are thread-safe. {@link #close()} closes the backend too.
 */
public final class Chord implements AutoCloseable {
  /** The longest context id accepted, in chars. */
  public static final int MAX_CONTEXT_ID_LENGTH = 512;

  private final Backend backend;
  private final CommitLoop writes;
  private final SyncPlanner syncs;
  private final Cleaner cleaner;
  private final Telemetry telemetry;
  private final Clock clock;
  private final TimeScale time;
  private final int deltaThreshold;
  private final @Nullable ContextExporter exporter;
  private final @Nullable ContextProvider provider;
  private final DeltaFormatter<?> formatter;

  /** Exports for write-behind and eviction; {@code null} without either. */
  private final @Nullable WriteBehind exports;

  /** {@link Builder#restoreOnMiss}; {@code null} when off. */
  private final @Nullable RestoreOnMiss misses;

  /**
   * The scheduler cleanup and write-behind run on; shut down at close only if this Chord made it.
   */
  private final @Nullable ScheduledExecutorService ownScheduler;

  private final @Nullable ScheduledFuture<?> scheduledCleanup;

  /** Where subscriptions retry a failed read; made on first need, guarded by this. */
  private @Nullable ScheduledExecutorService retryScheduler;

  private final AtomicBoolean closed = new AtomicBoolean();

  private Chord(Settings settings) {
    this.backend = settings.backend();
    this.clock = settings.clock();
    this.time = new TimeScale(settings.timeUnit());
    this.deltaThreshold = settings.deltaThreshold();
    this.writes = new CommitLoop(backend, deltaThreshold, clock, time);
    this.syncs = new SyncPlanner(backend, deltaThreshold, time);
    this.telemetry = new Telemetry(settings.listeners());
    this.exporter = settings.exporter();
    this.provider = settings.provider();
    this.formatter = settings.formatter();
    boolean background = settings.cleanupInterval() != null || settings.exportDelay() != null;
    this.ownScheduler = background && settings.cleanupScheduler() == null ? cleanupThread() : null;
    ScheduledExecutorService scheduler =
        ownScheduler != null ? ownScheduler : settings.cleanupScheduler();
    this.exports =
        exporter != null && (settings.exportDelay() != null || settings.evictAfter() != null)
            ? new WriteBehind(backend, exporter, time, telemetry, settings.exportDelay(), scheduler)
            : null;
    this.misses =
        provider != null && settings.restoreOnMiss()
            ? new RestoreOnMiss(backend, provider, clock, telemetry, this::changed)
            : null;
    this.cleaner =
        new Cleaner(
            backend,
            clock,
            settings.deltaTtl(),
            settings.contextAutoDelete() ? settings.contextTtl() : null,
            settings.evictAfter(),
            exports == null ? null : new Eviction(backend, exports, misses));
    this.scheduledCleanup =
        settings.cleanupInterval() == null || scheduler == null
            ? null
            : Cleaner.schedule(scheduler, settings.cleanupInterval(), this::cleanup);
  }

  private static ScheduledExecutorService cleanupThread() {
    return daemonScheduler("chord-cleanup");
  }

  private static ScheduledExecutorService daemonScheduler(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  /** The scheduler subscriptions retry failed reads on, started on first need. */
  private synchronized ScheduledExecutorService retryScheduler() {
    if (retryScheduler == null) {
      retryScheduler = daemonScheduler("chord-subscription-retry");
      if (closed.get()) {
        retryScheduler.shutdown();
      }
    }
    return retryScheduler;
  }

  /** A Chord with every default: in-memory backend, 100 deltas per context, 24 h delta TTL. */
  public static Chord inMemory() {
    return builder().build();
  }

  /** A builder with every default; see {@link Builder}. */
  public static Builder builder() {
    return new Builder();
  }

  // ---- writes ----

  /**
   * Replaces the whole context, creating it (at version 1) if absent. Stores nothing and keeps the
   * version when the data is unchanged.
   *
   * @throws IllegalArgumentException for an invalid id or data that is not JSON-like; nothing is
   *     stored
   * @throws BackendException if storage failed; nothing is stored
   */
  public ContextUpdate setContext(String contextId, Map<String, ?> context) {
    return set(contextId, context, CommitLoop.ANY_VERSION, null);
  }

  /**
   * {@link #setContext(String, Map)} only if the context is at {@code expectedVersion} (0: only if
   * it does not exist): optimistic concurrency for a client that read a version, changed it and
   * writes it back. A write that changes nothing succeeds, unchanged, if the version matches.
   *
   * <p>Unsafe across re-creation: version numbers repeat when the id is deleted and created again
   * or restored, so a client holding another incarnation's version can overwrite the new one. Use
   * {@link #setContext(String, Map, long, String)} with the epoch the client read.
   *
   * @throws VersionConflictException if the context is at another version; nothing is stored
   * @throws IllegalArgumentException for an invalid id, data or a negative version
   */
  public ContextUpdate setContext(String contextId, Map<String, ?> context, long expectedVersion) {
    return set(contextId, context, checkExpected(expectedVersion), null);
  }

  /**
   * {@link #setContext(String, Map)} only if the context is at ({@code expectedEpoch}, {@code
   * expectedVersion}), the state the client read; {@code expectedVersion} 0: only if the context is
   * absent (the epoch is ignored then). A write that changes nothing succeeds, unchanged, if both
   * match. {@code expectedEpoch} {@code null} compares the version alone, as {@link
   * #setContext(String, Map, long)}.
   *
   * @throws VersionConflictException if the context is at another epoch or version; nothing is
   *     stored
   * @throws IllegalArgumentException for an invalid id, data, epoch or a negative version
   */
  public ContextUpdate setContext(
      String contextId,
      Map<String, ?> context,
      long expectedVersion,
      @Nullable String expectedEpoch) {
    return set(contextId, context, checkExpected(expectedVersion), checkEpoch(expectedEpoch));
  }

  private ContextUpdate set(
      String contextId,
      Map<String, ?> context,
      long expectedVersion,
      @Nullable String expectedEpoch) {
    return observeNoted(
        Operation.SET,
        contextId,
        note -> {
          checkId(contextId);
          // Validated before anything else happens (a restore on a miss, the version check).
          Map<String, @Nullable Object> data = Snapshots.freeze(context);
          if (misses != null && expectedVersion <= 0 && backend.getForCommit(contextId).isEmpty()) {
            // Unconditional or create-only: the write would create the id, so ask the store first.
            misses.load(contextId);
          }
          return changed(
              onMiss(
                  contextId,
                  () -> writes.set(contextId, data, expectedVersion, expectedEpoch, note)));
        },
        Chord::writeOutcome);
  }

  /**
   * Deep-merges {@code changes} into the context: maps merge into maps, any other value (a {@code
   * null} too) replaces, missing keys are created. Its cost depends on the size of {@code changes},
   * not of the context.
   *
   * @throws ContextNotFoundException if the context does not exist
   * @throws IllegalArgumentException for an invalid id or changes that are not JSON-like; nothing
   *     is stored
   * @throws BackendException if storage failed; nothing is stored
   */
  public ContextUpdate updateContext(String contextId, Map<String, ?> changes) {
    return update(contextId, changes, CommitLoop.ANY_VERSION, null);
  }

  /**
   * {@link #updateContext(String, Map)} only if the context is at {@code expectedVersion}:
   * optimistic concurrency for a client that read a version and changes it. An update that changes
   * nothing succeeds, unchanged, if the version matches. Unsafe across re-creation, like {@link
   * #setContext(String, Map, long)}: prefer {@link #updateContext(String, Map, long, String)}.
   *
   * @throws VersionConflictException if the context is at another version; nothing is stored
   * @throws ContextNotFoundException if the context does not exist and {@code expectedVersion} is 0
   * @throws IllegalArgumentException for an invalid id, changes or a negative version
   */
  public ContextUpdate updateContext(
      String contextId, Map<String, ?> changes, long expectedVersion) {
    return update(contextId, changes, checkExpected(expectedVersion), null);
  }

  /**
   * {@link #updateContext(String, Map)} only if the context is at ({@code expectedEpoch}, {@code
   * expectedVersion}); {@code expectedEpoch} {@code null} compares the version alone.
   *
   * @throws VersionConflictException if the context is at another epoch or version; nothing is
   *     stored
   * @throws ContextNotFoundException if the context does not exist and {@code expectedVersion} is 0
   * @throws IllegalArgumentException for an invalid id, changes, epoch or a negative version
   */
  public ContextUpdate updateContext(
      String contextId,
      Map<String, ?> changes,
      long expectedVersion,
      @Nullable String expectedEpoch) {
    return update(contextId, changes, checkExpected(expectedVersion), checkEpoch(expectedEpoch));
  }

  private ContextUpdate update(
      String contextId,
      Map<String, ?> changes,
      long expectedVersion,
      @Nullable String expectedEpoch) {
    return observeNoted(
        Operation.UPDATE,
        contextId,
        note -> {
          checkId(contextId);
          return changed(
              onMiss(
                  contextId,
                  () -> writes.update(contextId, changes, expectedVersion, expectedEpoch, note)));
        },
        Chord::writeOutcome);
  }

  /** {@code op}, restoring the id first if it misses and {@link Builder#restoreOnMiss} is on. */
  private <T> T onMiss(String contextId, Supplier<T> op) {
    return misses == null ? op.get() : misses.run(contextId, op);
  }

  /** Tells write-behind of a change; returns {@code update}. */
  private ContextUpdate changed(ContextUpdate update) {
    if (update.changed()) {
      changed(update.context().contextId());
    }
    return update;
  }

  private void changed(String contextId) {
    if (exports != null) {
      exports.changed(contextId);
    }
  }

  private static long checkExpected(long expectedVersion) {
    if (expectedVersion < 0) {
      throw new IllegalArgumentException(
          "expected version must be at least 0, was " + expectedVersion);
    }
    return expectedVersion;
  }

  private static @Nullable String checkEpoch(@Nullable String epoch) {
    return epoch == null ? null : Epochs.check(epoch);
  }

  private static Outcome writeOutcome(ContextUpdate update) {
    return update.changed() ? Outcome.OK : Outcome.UNCHANGED;
  }

  // ---- reads ----

  /**
   * The current context, without copying: its data is an immutable snapshot.
   *
   * @throws IllegalArgumentException for an invalid id
   */
  public Optional<Context> getContext(String contextId) {
    return observe(
        Operation.GET,
        contextId,
        () -> {
          checkId(contextId);
          Optional<Context> found = backend.get(contextId);
          if (found.isEmpty() && misses != null && misses.load(contextId)) {
            found = backend.get(contextId);
          }
          return found.map(time::toApi);
        },
        found -> found.isPresent() ? Outcome.OK : Outcome.NOT_FOUND);
  }

  /**
   * What a client at {@code clientVersion} needs to be current: {@link SyncResult.NoChange} if it
   * is current; a {@link SyncResult.Patch} merging every change since its version, when all of them
   * are still stored and there are at most {@code deltaThreshold}; otherwise {@link
   * SyncResult.Full}. Never a patch that misses a change.
   *
   * <p>Unsafe across re-creation: version numbers repeat when the id is deleted and created again
   * or restored, so a client holding another incarnation at the same version is told "no change" or
   * sent a patch for data it does not have. Use {@link #syncContext(String, long, String)} with the
   * epoch the client holds.
   *
   * @param clientVersion the version the client has, {@code null} if it has nothing
   * @throws ContextNotFoundException if the context does not exist
   * @throws IllegalArgumentException for an invalid id or a negative version
   */
  public SyncResult syncContext(String contextId, @Nullable Long clientVersion) {
    return observeNoted(
        Operation.SYNC,
        contextId,
        note -> {
          checkId(contextId);
          if (clientVersion == null) {
            return onMiss(
                contextId, () -> syncs.full(contextId, ChordEvent.FullReason.NO_VERSION, note));
          }
          long version = checkClientVersion(clientVersion);
          return onMiss(contextId, () -> syncs.plan(contextId, version, null, note));
        },
        Chord::syncOutcome);
  }

  /**
   * What a client holding ({@code clientEpoch}, {@code clientVersion}) needs to be current: {@link
   * SyncResult.Full} when {@code clientEpoch} is not the current epoch (the client holds another
   * incarnation of the id), otherwise as {@link #syncContext(String, Long)}. Never a patch across
   * incarnations, never "no change" for another incarnation. Every result carries the epoch the
   * client keeps for its next sync.
   *
   * @param clientEpoch the epoch the client holds; {@code null} behaves as {@link
   *     #syncContext(String, Long)} (unsafe across re-creation)
   * @throws ContextNotFoundException if the context does not exist
   * @throws IllegalArgumentException for an invalid id, a malformed epoch or a negative version
   */
  public SyncResult syncContext(
      String contextId, long clientVersion, @Nullable String clientEpoch) {
    return observeNoted(
        Operation.SYNC,
        contextId,
        note -> {
          checkId(contextId);
          long version = checkClientVersion(clientVersion);
          String epoch = checkEpoch(clientEpoch);
          return onMiss(contextId, () -> syncs.plan(contextId, version, epoch, note));
        },
        Chord::syncOutcome);
  }

  private static long checkClientVersion(long clientVersion) {
    if (clientVersion < 0) {
      throw new IllegalArgumentException(
          "client version must be null or at least 0, was " + clientVersion);
    }
    return clientVersion;
  }

  private static Outcome syncOutcome(SyncResult result) {
    if (result instanceof SyncResult.Full) {
      return Outcome.FULL;
    }
    return result instanceof SyncResult.Patch ? Outcome.PATCH : Outcome.NO_CHANGE;
  }

  // ---- lifecycle of a context ----

  /**
   * Deletes the context and all its deltas. Deleting an absent context does nothing. With an {@link
   * Builder#exporter}, the exported copy is deleted too ({@link ContextExporter#delete}), after the
   * backend's: no write-behind export of this node hands the exporter the context after that, and
   * no {@link Builder#restoreOnMiss} restore runs meanwhile, so the delete sticks.
   *
   * @throws IllegalArgumentException for an invalid id
   * @throws ChordException wrapping what the exporter's delete threw (the backend's copy is deleted
   *     by then; calling again retries the exporter's)
   */
  public void deleteContext(String contextId) {
    observe(
        Operation.DELETE,
        contextId,
        () -> {
          checkId(contextId);
          Runnable delete = () -> deleteEverywhere(contextId);
          Runnable locked = exports == null ? delete : () -> exports.exclusively(delete);
          if (misses == null) {
            locked.run();
          } else {
            misses.deleting(contextId, locked);
          }
          return null;
        },
        ignored -> Outcome.OK);
  }

  /** The backend's copy, then the exporter's: a copy left in the store could be restored. */
  private void deleteEverywhere(String contextId) {
    backend.delete(contextId);
    if (exporter != null) {
      try {
        exporter.delete(contextId);
      } catch (Exception e) {
        throw new ChordException(
            "exporter failed to delete '" + contextId + "' (the backend's copy is deleted): " + e,
            e);
      }
    }
  }

  /**
   * Hands the current context to the configured {@link ContextExporter}.
   *
   * @throws ChordConfigurationException if no exporter is configured
   * @throws ContextNotFoundException if the context does not exist
   * @throws ChordException wrapping what the exporter threw
   */
  public void exportContext(String contextId) {
    observe(
        Operation.EXPORT,
        contextId,
        () -> {
          checkId(contextId);
          if (exporter == null) {
            throw new ChordConfigurationException(
                "exportContext needs an exporter: Chord.builder().exporter(…)");
          }
          ContextExporter to = exporter;
          Runnable export =
              () -> {
                Context context =
                    backend
                        .get(contextId)
                        .orElseThrow(() -> new ContextNotFoundException(contextId));
                try {
                  to.export(time.toApi(context));
                } catch (Exception e) {
                  throw new ChordException("exporter failed for '" + contextId + "': " + e, e);
                }
              };
          // With write-behind or eviction, in their order: never an older version after a newer.
          if (exports == null) {
            export.run();
          } else {
            exports.exclusively(export);
          }
          return null;
        },
        ignored -> Outcome.OK);
  }

  /**
   * Loads the context from the configured {@link ContextProvider} and stores it at the provider's
   * version with {@code insertedAt} now and a fresh epoch (whatever epoch the provider returned: a
   * restore can roll a context back to a version it had before, so the restored state must not be
   * mistaken for that earlier one). Older deltas of that id are dropped; clients catch up with the
   * full context, subscribers get {@link ContextListener#onReset}.
   *
   * @return the stored context
   * @throws ChordConfigurationException if no provider is configured
   * @throws ContextNotFoundException if the provider has nothing for that id
   * @throws ChordException wrapping what the provider threw, or if it returned an invalid context;
   *     the backend is unchanged then
   */
  public Context restoreContext(String contextId) {
    return observe(
        Operation.RESTORE,
        contextId,
        () -> {
          checkId(contextId);
          if (provider == null) {
            throw new ChordConfigurationException(
                "restoreContext needs a provider: Chord.builder().externalProvider(…)");
          }
          Context source =
              RestoreOnMiss.fetch(provider, contextId)
                  .orElseThrow(() -> new ContextNotFoundException(contextId));
          Context restored =
              RestoreOnMiss.validated(contextId, source, Epochs.next(), clock.millis());
          backend.restore(restored);
          if (misses != null) {
            misses.forget(contextId);
          }
          changed(contextId);
          return time.toApi(restored);
        },
        ignored -> Outcome.OK);
  }

  // ---- cleanup ----

  /**
   * One full cleanup pass over every context: drops deltas older than {@code deltaTtl} and, with
   * {@code contextAutoDelete}, deletes contexts not changed for {@code contextTtl}. The per-context
   * delta limit needs no cleanup: it is kept on every write.
   */
  public CleanupReport cleanup() {
    return observe(Operation.CLEANUP, null, cleaner::all, r -> Outcome.OK);
  }

  /**
   * Like {@link #cleanup()} but examines at most {@code limit} contexts, continuing where the
   * previous limited pass stopped (and starting over after the last), so that repeated small passes
   * cover every context.
   *
   * @throws IllegalArgumentException if {@code limit} is below 1
   */
  public CleanupReport cleanup(int limit) {
    return observe(
        Operation.CLEANUP,
        null,
        () -> {
          if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
          }
          return cleaner.next(limit);
        },
        r -> Outcome.OK);
  }

  // ---- subscriptions ----

  /**
   * Calls {@code listener} with every delta committed to the context from now on, exactly once and
   * in version order, including commits made by other Chord instances on a shared backend. The
   * context need not exist yet. Resets are not seen: after a delete (through any node) the next
   * record is the new incarnation's version 1 (another epoch); after a restore, or when a hole in
   * the history could not be filled because it is no longer stored, the next record continues from
   * the state stored then. A listener that keeps client state should use {@link #subscribe(String,
   * ContextListener)}, which reports each of these as a reset.
   *
   * <p>A listener that throws is logged and reported as a {@link Operation#DELIVER} event; it keeps
   * receiving later records and never affects a commit or other listeners. Listeners run on the
   * thread that delivers the commit (for the in-memory backend, a committing thread), so keep them
   * short or hand work off.
   *
   * @return closing it ends the subscription
   */
  public Subscription subscribe(String contextId, Consumer<DeltaRecord> listener) {
    Objects.requireNonNull(listener, "listener");
    return subscribe(
        contextId,
        new ContextListener() {
          @Override
          public void onDelta(DeltaRecord record) {
            listener.accept(record);
          }

          @Override
          public void onReset(Optional<Context> current) {}
        });
  }

  /**
   * Tells {@code listener} what happens to the context from now on, through this or any node
   * sharing the backend, in one order and each event exactly once: every committed delta ({@link
   * ContextListener#onDelta}) and every change of incarnation ({@link ContextListener#onReset}).
   * After a delete the listener gets {@code onReset(Optional.empty())}, and a create that follows
   * arrives as the {@code onDelta} of version 1 (the creation delta, new epoch). A restore, or any
   * change the subscription could not see step by step (another node, a lost message, history
   * trimmed below a hole), arrives as {@code onReset(Optional.of(current))}.
   *
   * <p>The first event, before this method returns, is {@link ContextListener#onStart} with the
   * state the subscription starts from (by default handed to {@code onReset}). From it, applying
   * every reset (state := its context, or absent) and every delta (on the state of the same epoch,
   * one version below) keeps the listener exactly at the stored state.
   *
   * <p>Listener failures and threads: as {@link #subscribe(String, Consumer)}. When the backend
   * fails while the subscription reads it (to fill a hole or after a reset), the event is handled
   * again on the next one or after a back-off (100 ms doubling to 5 s); nothing is dropped.
   *
   * @return closing it ends the subscription
   */
  public Subscription subscribe(String contextId, ContextListener listener) {
    return observe(
        Operation.SUBSCRIBE,
        contextId,
        () -> {
          checkId(contextId);
          Objects.requireNonNull(listener, "listener");
          return startSubscription(contextId, listener);
        },
        ignored -> Outcome.OK);
  }

  private Subscription startSubscription(String contextId, ContextListener listener) {
    OrderedSubscription subscription =
        new OrderedSubscription(
            contextId,
            backend,
            listener,
            time,
            e -> telemetry.deliveryFailed(contextId, e),
            this::retryScheduler);
    AutoCloseable feed = backend.subscribe(contextId, subscription);
    Subscription closeBoth =
        () -> {
          subscription.close();
          try {
            feed.close();
          } catch (Exception e) {
            throw new BackendException("closing the subscription to '" + contextId + "': " + e, e);
          }
        };
    try {
      subscription.start();
    } catch (RuntimeException e) {
      try {
        closeBoth.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return closeBoth;
  }

  // ---- formatting, helpers ----

  /** The configured formatter. */
  public DeltaFormatter<?> formatter() {
    return formatter;
  }

  /** {@code record} formatted by the configured formatter. */
  public Object formatDelta(DeltaRecord record) {
    return formatter.format(record);
  }

  /** The configured maximum number of deltas kept per context. */
  public int deltaThreshold() {
    return deltaThreshold;
  }

  /**
   * Stops scheduled cleanup, exports what write-behind has not exported yet ({@link
   * Builder#exportOnChange}) and closes the backend. Further calls fail.
   *
   * @throws ChordException after closing everything, if write-behind could not export the newest
   *     version of some context (each failure was reported as an {@link Operation#EXPORT} event)
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (scheduledCleanup != null) {
      scheduledCleanup.cancel(false);
    }
    ChordException unexported = null;
    if (exports != null) {
      try {
        exports.close();
      } catch (ChordException e) {
        unexported = e;
      }
    }
    if (ownScheduler != null) {
      ownScheduler.shutdownNow();
    }
    synchronized (this) {
      if (retryScheduler != null) {
        retryScheduler.shutdownNow();
      }
    }
    try {
      backend.close();
    } catch (Exception e) {
      BackendException failed = new BackendException("closing the backend failed: " + e, e);
      if (unexported != null) {
        failed.addSuppressed(unexported);
      }
      throw failed;
    }
    if (unexported != null) {
      throw unexported;
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("this Chord is closed");
    }
  }

  private static void checkId(String contextId) {
    if (contextId == null) {
      throw new IllegalArgumentException("context id must not be null");
    }
    if (contextId.length() > MAX_CONTEXT_ID_LENGTH) {
      throw new IllegalArgumentException(
          "context id is "
              + contextId.length()
              + " chars, more than "
              + MAX_CONTEXT_ID_LENGTH
              + ": '"
              + contextId.substring(0, 40)
              + "…'");
    }
    if (contextId.isBlank()) {
      throw new IllegalArgumentException("context id must not be blank, was '" + contextId + "'");
    }
    if (contextId.indexOf('\u0000') >= 0 || Freezer.unpairedSurrogate(contextId) >= 0) {
      // A NUL or a lone surrogate cannot be stored as text everywhere: two ids would become one.
      throw new IllegalArgumentException(
          "context id must be Unicode text without NUL characters or unpaired surrogates");
    }
  }

  /** Runs one public operation on an open Chord and reports it to the telemetry listeners. */
  private <T extends @Nullable Object> T observe(
      Operation operation,
      @Nullable String contextId,
      Supplier<T> body,
      Function<T, Outcome> outcome) {
    checkOpen();
    return telemetry.observe(operation, contextId, body, outcome);
  }

  /** {@link #observe}, for a body that notes details for its event (see {@link Telemetry.Note}). */
  private <T extends @Nullable Object> T observeNoted(
      Operation operation,
      @Nullable String contextId,
      Function<Telemetry.@Nullable Note, T> body,
      Function<T, Outcome> outcome) {
    checkOpen();
    return telemetry.observeNoted(operation, contextId, body, outcome);
  }

  /**
   * Configures a {@link Chord}. Every setting is optional; values are checked when set and the
   * message names the bad value.
   */
  public static final class Builder {
    /** {@link #deltaThreshold}'s default: {@value}. */
    public static final int DEFAULT_DELTA_THRESHOLD = 100;

    /** {@link #deltaTtl}'s default: 24 hours. */
    public static final Duration DEFAULT_DELTA_TTL = Duration.ofHours(24);

    private @Nullable Backend backend;
    private int deltaThreshold = DEFAULT_DELTA_THRESHOLD;
    private Duration deltaTtl = DEFAULT_DELTA_TTL;
    private @Nullable Duration contextTtl;
    private boolean contextAutoDelete;
    private Clock clock = Clock.systemUTC();
    private ChronoUnit timeUnit = ChronoUnit.SECONDS;
    private @Nullable ContextExporter exporter;
    private @Nullable ContextProvider provider;
    private DeltaFormatter<?> formatter = DeltaFormatters.chord();
    private final List<ChordListener> listeners = new ArrayList<>();
    private @Nullable Duration cleanupInterval;
    private @Nullable ScheduledExecutorService cleanupScheduler;
    private @Nullable Duration exportDelay;
    private boolean restoreOnMiss;
    private @Nullable Duration evictAfter;

    private Builder() {}

    /** Where contexts are stored; default: a new {@link InMemoryBackend}. Chord closes it. */
    public Builder backend(Backend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    /** The most deltas kept per context (default 100); a client further behind gets the context. */
    public Builder deltaThreshold(int maxDeltasPerContext) {
      if (maxDeltasPerContext < 1) {
        throw new IllegalArgumentException(
            "deltaThreshold must be at least 1, was " + maxDeltasPerContext);
      }
      this.deltaThreshold = maxDeltasPerContext;
      return this;
    }

    /** How long deltas are kept before {@link Chord#cleanup()} drops them (default 24 h). */
    public Builder deltaTtl(Duration ttl) {
      this.deltaTtl = positive(ttl, "deltaTtl");
      return this;
    }

    /**
     * How long a context may go unchanged before cleanup deletes it, if {@link #contextAutoDelete}
     * is on (default: none, contexts are kept).
     */
    public Builder contextTtl(Duration ttl) {
      this.contextTtl = positive(ttl, "contextTtl");
      return this;
    }

    /** Whether cleanup deletes contexts older than {@link #contextTtl} (default false). */
    public Builder contextAutoDelete(boolean enabled) {
      this.contextAutoDelete = enabled;
      return this;
    }

    /** The time source for {@code insertedAt} and TTLs (default: system clock, UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The unit of {@code insertedAt}: {@code SECONDS} (default) or {@code MILLIS}. */
    public Builder timeUnit(ChronoUnit unit) {
      if (unit != ChronoUnit.SECONDS && unit != ChronoUnit.MILLIS) {
        throw new IllegalArgumentException(
            "timeUnit must be SECONDS or MILLIS, was " + (unit == null ? null : unit.name()));
      }
      this.timeUnit = unit;
      return this;
    }

    /** Where {@link Chord#exportContext} sends contexts (default: none). */
    public Builder exporter(ContextExporter exporter) {
      this.exporter = Objects.requireNonNull(exporter, "exporter");
      return this;
    }

    /** Where {@link Chord#restoreContext} loads contexts from (default: none). */
    public Builder externalProvider(ContextProvider provider) {
      this.provider = Objects.requireNonNull(provider, "provider");
      return this;
    }

    /** The formatter for {@link Chord#formatDelta} (default {@link DeltaFormatters#chord()}). */
    public Builder formatter(DeltaFormatter<?> formatter) {
      this.formatter = Objects.requireNonNull(formatter, "formatter");
      return this;
    }

    /** Adds a telemetry listener; may be called several times. */
    public Builder listener(ChordListener listener) {
      this.listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Runs {@link Chord#cleanup()} every {@code interval} (default: never): on the {@link
     * #cleanupScheduler} if one is given, else on a daemon thread of this Chord's own.
     */
    public Builder cleanupInterval(Duration interval) {
      this.cleanupInterval = positive(interval, "cleanupInterval");
      return this;
    }

    /**
     * Where scheduled cleanup (with {@link #cleanupInterval}) and write-behind flushes (with {@link
     * #exportOnChange}) run: an application's own scheduler instead of a thread per Chord. {@link
     * Chord#close()} cancels the cleanup task and leaves the scheduler running.
     */
    public Builder cleanupScheduler(ScheduledExecutorService scheduler) {
      this.cleanupScheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Write-behind to the {@link #exporter}: every changed context is exported within about {@code
     * maxDelay} of its change (default: never; contexts are exported only by {@link
     * Chord#exportContext}). A commit only marks the context dirty and never waits for the store; a
     * background flush every {@code maxDelay / 2} exports the newest version of each dirty context,
     * so a burst of changes costs one export. A failed export is reported as an {@link
     * Operation#EXPORT} event with {@link Outcome#ERROR} and retried with a back-off (100 ms
     * doubling to 30 s); {@link Chord#close()} exports what is left and throws if some of it
     * failed. What a crash ({@code kill -9}) can lose is the changes of the last {@code maxDelay}
     * (plus the time exports take when they fall behind). Flushes run on the {@link
     * #cleanupScheduler} if one is given, else on this Chord's own daemon thread.
     *
     * <pre>{@code
     * FileContextStore store = FileContextStore.create(Path.of("contexts"));
     * Chord chord = Chord.builder().exporter(store).exportOnChange(Duration.ofSeconds(2)).build();
     * }</pre>
     *
     * @throws IllegalArgumentException if {@code maxDelay} is not positive; {@link #build()} throws
     *     it without an {@link #exporter}
     */
    public Builder exportOnChange(Duration maxDelay) {
      this.exportDelay = positive(maxDelay, "exportOnChange maxDelay");
      return this;
    }

    /**
     * Whether an operation on an absent id first asks the {@link #externalProvider} (default
     * false): {@link Chord#getContext}, {@link Chord#syncContext}, {@link Chord#updateContext},
     * {@link Chord#setContext} (before it would create the id) and the conditional forms of both
     * restore what the provider has and then run on it. Concurrent misses for one id make one
     * provider call. A context this Chord {@linkplain #evictAfter evicted} comes back at its epoch
     * and version, so its clients stay current; anything else the provider returns gets a fresh
     * epoch, as {@link Chord#restoreContext} gives it (the store may lag behind what clients saw),
     * and clients resync with the full context. Restored contexts have no delta history. A provider
     * failure reaches the caller as a {@link ChordException} and nothing is restored.
     *
     * <p>{@link Chord#deleteContext} deletes the exporter's copy too ({@link
     * ContextExporter#delete}): a store that is both exporter and provider must implement it, or
     * the next access brings the deleted context back.
     *
     * @throws IllegalArgumentException from {@link #build()} if on without an {@link
     *     #externalProvider}
     */
    public Builder restoreOnMiss(boolean enabled) {
      this.restoreOnMiss = enabled;
      return this;
    }

    /**
     * Evicts contexts unchanged for {@code idle} from the backend at cleanup (default: never): each
     * is exported to the {@link #exporter} first and removed only if it is still at the exported
     * epoch and version, so nothing unexported is ever dropped. With {@link #restoreOnMiss} an
     * evicted context comes back on its next access with its epoch and version (clients holding
     * that version get {@link SyncResult.NoChange}, older ones {@link SyncResult.Full}: the history
     * is not exported). Eviction runs in {@link Chord#cleanup()} passes: set a {@link
     * #cleanupInterval} or call cleanup yourself.
     *
     * @throws IllegalArgumentException if {@code idle} is not positive; {@link #build()} throws it
     *     without an {@link #exporter}
     */
    public Builder evictAfter(Duration idle) {
      this.evictAfter = positive(idle, "evictAfter");
      return this;
    }

    /**
     * A new Chord with these settings.
     *
     * @throws IllegalArgumentException if {@code contextAutoDelete} is on without a {@code
     *     contextTtl}: it would silently delete nothing; if {@code exportOnChange} or {@code
     *     evictAfter} is set without an exporter, or {@code restoreOnMiss} is on without a
     *     provider; if {@code cleanupScheduler} is given with neither a {@code cleanupInterval} nor
     *     {@code exportOnChange}
     */
    public Chord build() {
      if (contextAutoDelete && contextTtl == null) {
        throw new IllegalArgumentException(
            "contextAutoDelete(true) needs a contextTtl: Chord.builder().contextTtl(…)");
      }
      if (cleanupScheduler != null && cleanupInterval == null && exportDelay == null) {
        throw new IllegalArgumentException(
            "cleanupScheduler needs a cleanupInterval: Chord.builder().cleanupInterval(…)");
      }
      if (exporter == null && (exportDelay != null || evictAfter != null)) {
        throw new IllegalArgumentException(
            (exportDelay != null ? "exportOnChange" : "evictAfter")
                + " needs an exporter: Chord.builder().exporter(…)");
      }
      if (restoreOnMiss && provider == null) {
        throw new IllegalArgumentException(
            "restoreOnMiss(true) needs a provider: Chord.builder().externalProvider(…)");
      }
      return new Chord(
          new Settings(
              backend != null ? backend : InMemoryBackend.create(),
              deltaThreshold,
              deltaTtl,
              contextTtl,
              contextAutoDelete,
              clock,
              timeUnit,
              exporter,
              provider,
              formatter,
              List.copyOf(listeners),
              cleanupInterval,
              cleanupScheduler,
              exportDelay,
              restoreOnMiss,
              evictAfter));
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + d);
      }
      return d;
    }
  }
}
