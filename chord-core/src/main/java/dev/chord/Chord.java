package dev.chord;

import dev.chord.ChordEvent.Operation;
import dev.chord.ChordEvent.Outcome;
import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.Backend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ContextInfo;
import dev.chord.spi.ContextPage;
import dev.chord.spi.History;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  private static final Logger log = LoggerFactory.getLogger(Chord.class);

  /** The expected version of an unconditional write. */
  private static final long ANY_VERSION = -1;

  /** Beyond this many conflicts in a row a write gives up; far above any real contention. */
  private static final int MAX_COMMIT_ATTEMPTS = 10_000;

  private final Backend backend;
  private final int deltaThreshold;
  private final Duration deltaTtl;
  private final Duration contextTtl;
  private final boolean contextAutoDelete;
  private final Clock clock;
  private final TimeScale time;
  private final ContextExporter exporter;
  private final ContextProvider provider;
  private final DeltaFormatter<?> formatter;
  private final ChordListener[] listeners;
  private final ScheduledExecutorService cleanupScheduler;

  /** Where the next {@link #cleanup(int)} pass continues; {@code null}: at the start. */
  private String cleanupCursor;

  private final AtomicBoolean closed = new AtomicBoolean();

  private Chord(Builder b) {
    this.backend = b.backend != null ? b.backend : InMemoryBackend.create();
    this.deltaThreshold = b.deltaThreshold;
    this.deltaTtl = b.deltaTtl;
    this.contextTtl = b.contextTtl;
    this.contextAutoDelete = b.contextAutoDelete;
    this.clock = b.clock;
    this.time = new TimeScale(b.timeUnit);
    this.exporter = b.exporter;
    this.provider = b.provider;
    this.formatter = b.formatter;
    this.listeners = b.listeners.toArray(new ChordListener[0]);
    if (b.cleanupInterval != null) {
      this.cleanupScheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "chord-cleanup");
                t.setDaemon(true);
                return t;
              });
      long every = b.cleanupInterval.toMillis();
      cleanupScheduler.scheduleWithFixedDelay(
          this::scheduledCleanup, every, every, TimeUnit.MILLISECONDS);
    } else {
      this.cleanupScheduler = null;
    }
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
    return set(contextId, context, ANY_VERSION, null);
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
      String contextId, Map<String, ?> context, long expectedVersion, String expectedEpoch) {
    return set(contextId, context, checkExpected(expectedVersion), checkEpoch(expectedEpoch));
  }

  private ContextUpdate set(
      String contextId, Map<String, ?> context, long expectedVersion, String expectedEpoch) {
    return observe(
        Operation.SET,
        contextId,
        () -> {
          checkId(contextId);
          Map<String, Object> data = Snapshots.freeze(context);
          return commitLoop(
              contextId,
              expectedVersion,
              expectedEpoch,
              current ->
                  new Delta.Merged(
                      data, Delta.diffFrozen(current == null ? Map.of() : current.data(), data)));
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
    return update(contextId, changes, ANY_VERSION, null);
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
      String contextId, Map<String, ?> changes, long expectedVersion, String expectedEpoch) {
    return update(contextId, changes, checkExpected(expectedVersion), checkEpoch(expectedEpoch));
  }

  private ContextUpdate update(
      String contextId, Map<String, ?> changes, long expectedVersion, String expectedEpoch) {
    return observe(
        Operation.UPDATE,
        contextId,
        () -> {
          checkId(contextId);
          return commitLoop(
              contextId,
              expectedVersion,
              expectedEpoch,
              current -> {
                if (current == null) {
                  // Bad input is reported as such, whether or not the context exists.
                  Snapshots.freeze(changes);
                  return null;
                }
                return Delta.deepMerge(current.data(), changes);
              });
        },
        Chord::writeOutcome);
  }

  private static long checkExpected(long expectedVersion) {
    if (expectedVersion < 0) {
      throw new IllegalArgumentException(
          "expected version must be at least 0, was " + expectedVersion);
    }
    return expectedVersion;
  }

  private static String checkEpoch(String epoch) {
    return epoch == null ? null : Epochs.check(epoch);
  }

  /** Whether {@code current} is the state a conditional write requires. */
  private static boolean isExpected(Context current, long expectedVersion, String expectedEpoch) {
    if (expectedVersion == 0) {
      return current == null;
    }
    return current != null
        && current.version() == expectedVersion
        && (expectedEpoch == null || expectedEpoch.equals(current.epoch()));
  }

  /**
   * Reads the context, computes the next state, commits it if the context is still at the version
   * read, and otherwise starts again from the version the backend reports. {@code next} gets the
   * current context ({@code null} if absent) and returns {@code null} when the write needs a
   * context that does not exist. Unless {@code expectedVersion} is {@link #ANY_VERSION}, the write
   * happens only on top of that version (and of {@code expectedEpoch}, unless {@code null}).
   */
  private ContextUpdate commitLoop(
      String contextId,
      long expectedVersion,
      String expectedEpoch,
      Function<Context, Delta.Merged> next) {
    // The first read may be a backend's cached copy (getForCommit): a stale one is caught by the
    // commit's version check, but "not found" and "nothing changed" end the call without a commit,
    // so they are only reported from an authoritative read (get, or a conflict's current context).
    Optional<Context> read = backend.getForCommit(contextId);
    boolean authoritative = false;
    for (int attempt = 1; ; attempt++) {
      Context current = read.orElse(null);
      if (expectedVersion != ANY_VERSION && !isExpected(current, expectedVersion, expectedEpoch)) {
        if (authoritative) {
          throw new VersionConflictException(
              contextId,
              expectedVersion,
              expectedVersion == 0 ? null : expectedEpoch,
              current == null ? 0 : current.version(),
              current == null ? null : current.epoch());
        }
        read = backend.get(contextId);
        authoritative = true;
        continue;
      }
      Delta.Merged merged = next.apply(current);
      if (merged == null) {
        if (authoritative) {
          throw new ContextNotFoundException(contextId);
        }
        read = backend.get(contextId);
        authoritative = true;
        continue;
      }
      if (current != null && merged.delta().isEmpty()) {
        if (authoritative) {
          return new ContextUpdate(time.toApi(current), Delta.empty(), false);
        }
        read = backend.get(contextId);
        authoritative = true;
        continue;
      }
      long version = current == null ? 1 : current.version() + 1;
      String epoch = current == null ? Epochs.next() : current.epoch();
      long at = clock.millis();
      Context context = new Context(contextId, version, merged.state(), at, epoch);
      DeltaRecord record = new DeltaRecord(contextId, version, merged.delta(), at, epoch);
      CommitResult result =
          backend.commit(new Commit(context, record, version - 1, deltaThreshold));
      if (result instanceof CommitResult.Conflict conflict) {
        if (attempt == MAX_COMMIT_ATTEMPTS) {
          throw new BackendException(
              "gave up writing '" + contextId + "' after " + attempt + " conflicting attempts");
        }
        read = conflict.current();
        authoritative = true;
        continue;
      }
      return new ContextUpdate(time.toApi(context), merged.delta(), true);
    }
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
          return backend.get(contextId).map(time::toApi);
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
   * or restored, so a client holding another incarnation at the same version is told "no change"
   * or sent a patch for data it does not have. Use {@link #syncContext(String, long, String)} with
   * the epoch the client holds.
   *
   * @param clientVersion the version the client has, {@code null} if it has nothing
   * @throws ContextNotFoundException if the context does not exist
   * @throws IllegalArgumentException for an invalid id or a negative version
   */
  public SyncResult syncContext(String contextId, Long clientVersion) {
    return observe(
        Operation.SYNC,
        contextId,
        () -> {
          checkId(contextId);
          if (clientVersion == null) {
            return full(contextId);
          }
          return sync(contextId, checkClientVersion(clientVersion), null);
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
  public SyncResult syncContext(String contextId, long clientVersion, String clientEpoch) {
    return observe(
        Operation.SYNC,
        contextId,
        () -> {
          checkId(contextId);
          return sync(contextId, checkClientVersion(clientVersion), checkEpoch(clientEpoch));
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

  private SyncResult sync(String contextId, long clientVersion, String clientEpoch) {
    History history =
        backend
            .history(contextId, clientVersion, deltaThreshold)
            .orElseThrow(() -> new ContextNotFoundException(contextId));
    if (clientEpoch != null && !clientEpoch.equals(history.epoch())) {
      return full(contextId);
    }
    long current = history.version();
    if (clientVersion == current) {
      return new SyncResult.NoChange(current, history.epoch());
    }
    long behind = current - clientVersion;
    if (behind < 0
        || behind > deltaThreshold
        || !isRun(history.deltas(), clientVersion + 1, current, history.epoch())) {
      return full(contextId);
    }
    List<Delta> deltas = new ArrayList<>(history.deltas().size());
    for (DeltaRecord record : history.deltas()) {
      deltas.add(record.delta());
    }
    return new SyncResult.Patch(
        contextId,
        clientVersion,
        current,
        Delta.merge(deltas),
        time.toApi(history.insertedAt()),
        history.epoch());
  }

  /** Whether {@code records} are exactly the versions {@code from..to} of {@code epoch}, in order. */
  private static boolean isRun(List<DeltaRecord> records, long from, long to, String epoch) {
    if (records.size() != to - from + 1) {
      return false;
    }
    long expected = from;
    for (DeltaRecord record : records) {
      if (record.version() != expected++ || !epoch.equals(record.epoch())) {
        return false;
      }
    }
    return true;
  }

  private SyncResult full(String contextId) {
    return new SyncResult.Full(
        time.toApi(
            backend.get(contextId).orElseThrow(() -> new ContextNotFoundException(contextId))));
  }

  private static Outcome syncOutcome(SyncResult result) {
    if (result instanceof SyncResult.Full) {
      return Outcome.FULL;
    }
    return result instanceof SyncResult.Patch ? Outcome.PATCH : Outcome.NO_CHANGE;
  }

  // ---- lifecycle of a context ----

  /**
   * Deletes the context and all its deltas. Deleting an absent context does nothing.
   *
   * @throws IllegalArgumentException for an invalid id
   */
  public void deleteContext(String contextId) {
    observe(
        Operation.DELETE,
        contextId,
        () -> {
          checkId(contextId);
          backend.delete(contextId);
          return null;
        },
        ignored -> Outcome.OK);
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
          Context context =
              backend.get(contextId).orElseThrow(() -> new ContextNotFoundException(contextId));
          try {
            exporter.export(time.toApi(context));
          } catch (Exception e) {
            throw new ChordException("exporter failed for '" + contextId + "': " + e, e);
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
          Optional<Context> fetched;
          try {
            fetched = provider.fetch(contextId);
          } catch (Exception e) {
            throw new ChordException("provider failed for '" + contextId + "': " + e, e);
          }
          Context source =
              Objects.requireNonNullElse(fetched, Optional.<Context>empty())
                  .orElseThrow(() -> new ContextNotFoundException(contextId));
          Context restored = validateRestored(contextId, source);
          backend.restore(restored);
          return time.toApi(restored);
        },
        ignored -> Outcome.OK);
  }

  private Context validateRestored(String contextId, Context source) {
    if (!contextId.equals(source.contextId())) {
      throw new ChordException(
          "provider returned context '" + source.contextId() + "' for '" + contextId + "'");
    }
    if (source.version() < 1 || source.version() == Long.MAX_VALUE) {
      throw new ChordException(
          "provider returned version "
              + source.version()
              + " for '"
              + contextId
              + "'; need ≥ 1 and room for later versions");
    }
    try {
      return new Context(
          contextId,
          source.version(),
          Snapshots.freeze(source.data()),
          clock.millis(),
          Epochs.next());
    } catch (IllegalArgumentException e) {
      throw new ChordException(
          "provider returned invalid data for '" + contextId + "': " + e.getMessage(), e);
    }
  }

  // ---- cleanup ----

  /**
   * One full cleanup pass over every context: drops deltas older than {@code deltaTtl} and, with
   * {@code contextAutoDelete}, deletes contexts not changed for {@code contextTtl}. The per-context
   * delta limit needs no cleanup: it is kept on every write.
   */
  public CleanupReport cleanup() {
    return observe(
        Operation.CLEANUP, null, () -> cleanPass(null, Integer.MAX_VALUE).report, r -> Outcome.OK);
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
          synchronized (this) {
            CleanupPass pass = cleanPass(cleanupCursor, limit);
            cleanupCursor = pass.nextCursor;
            return pass.report;
          }
        },
        r -> Outcome.OK);
  }

  private record CleanupPass(CleanupReport report, String nextCursor) {}

  private CleanupPass cleanPass(String cursor, int limit) {
    long now = clock.millis();
    long deltaCutoff = now - deltaTtl.toMillis();
    long contextCutoff =
        contextAutoDelete && contextTtl != null ? now - contextTtl.toMillis() : Long.MIN_VALUE;
    int examined = 0;
    int contextsDeleted = 0;
    long deltasDeleted = 0;
    String next = cursor;
    do {
      ContextPage page = backend.listContexts(next, Math.min(limit - examined, 1000));
      for (ContextInfo info : page.contexts()) {
        examined++;
        if (info.insertedAt() < contextCutoff
            && backend.deleteIf(info.contextId(), info.epoch(), info.version())) {
          contextsDeleted++;
        } else {
          deltasDeleted += backend.deleteDeltasBefore(info.contextId(), deltaCutoff);
        }
      }
      next = page.nextCursor();
    } while (next != null && examined < limit);
    return new CleanupPass(new CleanupReport(contextsDeleted, deltasDeleted), next);
  }

  private void scheduledCleanup() {
    try {
      cleanup();
    } catch (RuntimeException e) {
      log.warn("scheduled cleanup failed", e);
    }
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
   * <p>Applying every reset (state := its context, or absent) and every delta (on the state of the
   * same epoch, one version below) keeps the listener exactly at the stored state. The state it
   * starts from is the one stored when this method returns: read it with {@link #getContext}
   * before subscribing and let the first events correct it, or start from "absent" and call {@link
   * #syncContext(String, long, String)}.
   *
   * <p>Listener failures and threads: as {@link #subscribe(String, Consumer)}. When the backend
   * fails while the subscription reads it (to fill a hole or after a reset), the event is handled
   * again on the next one; nothing is dropped.
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
            e -> emit(Operation.DELIVER, contextId, 0, Outcome.ERROR, e));
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

  /** Stops scheduled cleanup and closes the backend. Further calls fail. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (cleanupScheduler != null) {
      cleanupScheduler.shutdownNow();
    }
    try {
      backend.close();
    } catch (Exception e) {
      throw new BackendException("closing the backend failed: " + e, e);
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
  }

  /** Runs one public operation and reports it to the listeners. */
  private <T> T observe(
      Operation operation, String contextId, Supplier<T> body, Function<T, Outcome> outcome) {
    checkOpen();
    if (listeners.length == 0) {
      return body.get();
    }
    long start = System.nanoTime();
    T result;
    try {
      result = body.get();
    } catch (ContextNotFoundException e) {
      emit(operation, contextId, start, Outcome.NOT_FOUND, e);
      throw e;
    } catch (VersionConflictException e) {
      emit(operation, contextId, start, Outcome.CONFLICT, e);
      throw e;
    } catch (RuntimeException | Error e) {
      emit(operation, contextId, start, Outcome.ERROR, e);
      throw e;
    }
    emit(operation, contextId, start, outcome.apply(result), null);
    return result;
  }

  private void emit(
      Operation operation, String contextId, long start, Outcome outcome, Throwable error) {
    if (listeners.length == 0) {
      return;
    }
    ChordEvent event =
        new ChordEvent(
            operation,
            contextId,
            Duration.ofNanos(start == 0 ? 0 : System.nanoTime() - start),
            outcome,
            error);
    for (ChordListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("telemetry listener failed on {}", event, e);
      }
    }
  }

  /**
   * Configures a {@link Chord}. Every setting is optional; values are checked when set and the
   * message names the bad value.
   */
  public static final class Builder {
    private Backend backend;
    private int deltaThreshold = 100;
    private Duration deltaTtl = Duration.ofHours(24);
    private Duration contextTtl;
    private boolean contextAutoDelete;
    private Clock clock = Clock.systemUTC();
    private ChronoUnit timeUnit = ChronoUnit.SECONDS;
    private ContextExporter exporter;
    private ContextProvider provider;
    private DeltaFormatter<?> formatter = DeltaFormatters.chord();
    private final List<ChordListener> listeners = new ArrayList<>();
    private Duration cleanupInterval;

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

    /** Runs {@link Chord#cleanup()} every {@code interval} on a daemon thread (default: never). */
    public Builder cleanupInterval(Duration interval) {
      this.cleanupInterval = positive(interval, "cleanupInterval");
      return this;
    }

    /**
     * A new Chord with these settings.
     *
     * @throws IllegalArgumentException if {@code contextAutoDelete} is on without a {@code
     *     contextTtl}: it would silently delete nothing
     */
    public Chord build() {
      if (contextAutoDelete && contextTtl == null) {
        throw new IllegalArgumentException(
            "contextAutoDelete(true) needs a contextTtl: Chord.builder().contextTtl(…)");
      }
      return new Chord(this);
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
