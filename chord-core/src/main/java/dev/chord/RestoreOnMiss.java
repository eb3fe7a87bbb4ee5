package dev.chord;

import dev.chord.ChordEvent.Operation;
import dev.chord.ChordEvent.Outcome;
import dev.chord.spi.Backend;
import dev.chord.spi.Snapshots;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@link Chord.Builder#restoreOnMiss}: an operation that finds no context asks the {@link
 * ContextProvider} once, restores what it returns and runs again.
 *
 * <p>Single flight: concurrent misses for one id share one provider call. The first miss starts a
 * flight (a future in {@link #flights}); a miss that finds a flight waits for it; a miss that comes
 * after a flight ended finds the restored context in the backend, because a flight checks the
 * backend again before it calls the provider.
 *
 * <p>Epochs: a restore normally draws a fresh epoch (see {@link Chord#restoreContext}): a copy in
 * the store may be older than what clients saw (write-behind lags, a crashed node loses what it had
 * not exported), and new changes on top of an older copy would reuse version numbers clients hold
 * for other states. The one copy known to be the newest state of its epoch is the one this node
 * exported and then evicted (the hot copy was removed only if still at that epoch and version), so
 * {@link #evicting} records (epoch, version, insertedAt) of each eviction, and a restore that
 * fetches exactly that epoch and version keeps it, with its time of last change: clients that hold
 * it stay current ({@link SyncResult.NoChange}). A record costs one small map entry per evicted
 * context and is dropped when the context comes back or is deleted; it is not shared between nodes
 * nor kept across restarts, so a context evicted by another node, or before a restart, comes back
 * under a fresh epoch (clients get {@link SyncResult.Full}: never wrong). The delta history is not
 * exported, so a restored context has none: a client behind it gets {@link SyncResult.Full}.
 */
final class RestoreOnMiss {
  private final Backend backend;
  private final ContextProvider provider;
  private final Clock clock;
  private final Telemetry telemetry;

  /** Told of a restore under a fresh epoch, a state the store does not have yet. */
  private final Consumer<String> changed;

  private final Map<String, CompletableFuture<Boolean>> flights = new ConcurrentHashMap<>();

  /** The state each context this node evicted had, in storage form (milliseconds). */
  private final Map<String, Evicted> evicted = new ConcurrentHashMap<>();

  private record Evicted(String epoch, long version, long insertedAt) {}

  RestoreOnMiss(
      Backend backend,
      ContextProvider provider,
      Clock clock,
      Telemetry telemetry,
      Consumer<String> changed) {
    this.backend = backend;
    this.provider = provider;
    this.clock = clock;
    this.telemetry = telemetry;
    this.changed = changed;
  }

  /**
   * Runs {@code op}; if it found no context ({@link ContextNotFoundException}, or a {@link
   * VersionConflictException} against an absent one), restores the id and runs it once more.
   */
  <T> T run(String contextId, Supplier<T> op) {
    try {
      return op.get();
    } catch (ContextNotFoundException e) {
      if (!load(contextId)) {
        throw e;
      }
    } catch (VersionConflictException e) {
      if (e.currentVersion() != 0 || !load(contextId)) {
        throw e;
      }
    }
    return op.get();
  }

  /**
   * Restores {@code contextId} from the provider unless the backend has it.
   *
   * @return whether the backend has it now
   * @throws ChordException if the provider failed or returned an invalid context; nothing restored
   */
  boolean load(String contextId) {
    CompletableFuture<Boolean> mine = new CompletableFuture<>();
    CompletableFuture<Boolean> running = flights.putIfAbsent(contextId, mine);
    if (running != null) {
      try {
        return running.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof RuntimeException cause) {
          throw cause;
        }
        throw e;
      }
    }
    try {
      boolean found = fly(contextId);
      mine.complete(found);
      return found;
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      flights.remove(contextId, mine);
    }
  }

  private boolean fly(String contextId) {
    if (backend.get(contextId).isPresent()) {
      return true;
    }
    return telemetry.observe(
        Operation.RESTORE,
        contextId,
        () -> {
          Optional<Context> fetched = fetch(provider, contextId);
          if (fetched.isEmpty()) {
            return false;
          }
          Context source = fetched.get();
          Evicted was = evicted.remove(contextId);
          boolean same =
              was != null && was.epoch.equals(source.epoch()) && was.version == source.version();
          Context restored =
              same
                  ? validated(contextId, source, was.epoch, was.insertedAt)
                  : validated(contextId, source, Epochs.next(), clock.millis());
          // Only if still absent: another caller or node may have created or restored it since the
          // check above, and its acknowledged writes must not be overwritten.
          if (backend.restoreIfAbsent(restored) && !same) {
            changed.accept(contextId);
          }
          return true;
        },
        found -> found ? Outcome.OK : Outcome.NOT_FOUND);
  }

  /**
   * Records that {@code context} is being evicted: a restore of exactly this state keeps its epoch.
   * Call before the hot copy is removed, and {@link #forget} if that did not happen.
   */
  void evicting(Context context) {
    evicted.put(
        context.contextId(),
        new Evicted(
            Objects.requireNonNull(context.epoch()), context.version(), context.insertedAt()));
  }

  /**
   * Runs {@code delete} while no restore of {@code contextId} runs, and drops its eviction record.
   * The delete takes the id's flight slot, waiting for a restore in flight to end first; a miss
   * meanwhile waits for the delete and finds nothing. Without this, a miss between the backend's
   * delete and the store's would restore the copy about to be deleted.
   */
  void deleting(String contextId, Runnable delete) {
    CompletableFuture<Boolean> mine = new CompletableFuture<>();
    CompletableFuture<Boolean> running;
    while ((running = flights.putIfAbsent(contextId, mine)) != null) {
      // The delete runs after that restore either way; its outcome is the restorer's to report.
      running.handle((found, failure) -> null).join();
    }
    try {
      evicted.remove(contextId);
      delete.run();
    } finally {
      mine.complete(false);
      flights.remove(contextId, mine);
    }
  }

  /** Drops what {@link #evicting} recorded for {@code contextId}. */
  void forget(String contextId) {
    evicted.remove(contextId);
  }

  /** What {@code provider} has for {@code contextId}. */
  static Optional<Context> fetch(ContextProvider provider, String contextId) {
    Optional<Context> fetched;
    try {
      fetched = provider.fetch(contextId);
    } catch (Exception e) {
      throw new ChordException("provider failed for '" + contextId + "': " + e, e);
    }
    return Objects.requireNonNullElse(fetched, Optional.<Context>empty());
  }

  /**
   * {@code source} as stored by a restore: checked, frozen, at {@code epoch} and {@code insertedAt}
   * (milliseconds).
   *
   * @throws ChordException if the provider returned another id, a version without room for later
   *     ones, or data that is not JSON-like
   */
  static Context validated(String contextId, Context source, String epoch, long insertedAt) {
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
          contextId, source.version(), Snapshots.freeze(source.data()), insertedAt, epoch);
    } catch (IllegalArgumentException e) {
      throw new ChordException(
          "provider returned invalid data for '" + contextId + "': " + e.getMessage(), e);
    }
  }
}
