package dev.chord;

import dev.chord.spi.Backend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.Snapshots;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * Where a write is decided: reads the context, computes the next state, and commits it if the
 * stored context is still at the (epoch, version) it was computed from; otherwise starts again from
 * the state the backend reports. Optimistic, so writers to one context never wait on a lock and
 * never lose an update.
 *
 * <p>The first read may be a backend's cached copy ({@link Backend#getForCommit}): a stale one is
 * caught by the commit's (epoch, version) check, but "not found", "nothing changed" and "conflict"
 * end the call without a commit, so they are only reported from an authoritative read ({@link
 * Backend#get}, or a conflict's current context).
 */
final class CommitLoop {
  /** The expected version of an unconditional write. */
  static final long ANY_VERSION = -1;

  /** Beyond this many conflicts in a row a write gives up; far above any real contention. */
  private static final int MAX_ATTEMPTS = 10_000;

  private final Backend backend;
  private final int deltaThreshold;
  private final Clock clock;
  private final TimeScale time;

  CommitLoop(Backend backend, int deltaThreshold, Clock clock, TimeScale time) {
    this.backend = backend;
    this.deltaThreshold = deltaThreshold;
    this.clock = clock;
    this.time = time;
  }

  /**
   * Replaces the context with {@code data} (frozen), creating it if absent. Retries and the size of
   * the committed delta go to {@code note}, if given.
   */
  ContextUpdate set(
      String contextId,
      Map<String, @Nullable Object> data,
      long expectedVersion,
      @Nullable String expectedEpoch,
      Telemetry.@Nullable Note note) {
    return run(contextId, data, expectedVersion, expectedEpoch, note, CommitLoop::replaced);
  }

  /** {@link #set}'s next state: {@code data}, which {@link #set} was given frozen, and the diff. */
  @SuppressWarnings("unchecked")
  private static Delta.Merged replaced(@Nullable Context current, Map<String, ?> data) {
    Map<String, @Nullable Object> frozen = (Map<String, @Nullable Object>) data;
    return new Delta.Merged(
        frozen, Delta.diffFrozen(current == null ? Map.of() : current.data(), frozen));
  }

  /** Deep-merges {@code changes} into the context; {@code note} as for {@link #set}. */
  ContextUpdate update(
      String contextId,
      Map<String, ?> changes,
      long expectedVersion,
      @Nullable String expectedEpoch,
      Telemetry.@Nullable Note note) {
    return run(contextId, changes, expectedVersion, expectedEpoch, note, CommitLoop::merged);
  }

  /**
   * {@link #update}'s next state: {@code changes} merged into {@code current}; {@code null} if
   * there is no context.
   */
  private static Delta.@Nullable Merged merged(@Nullable Context current, Map<String, ?> changes) {
    if (current == null) {
      // Bad input is reported as such, whether or not the context exists.
      Snapshots.freeze(changes);
      return null;
    }
    return Delta.deepMerge(current.data(), changes);
  }

  /**
   * The loop. {@code next} gets the current context ({@code null} if absent) and {@code input}, and
   * returns {@code null} when the write needs a context that does not exist; it is a static method,
   * so that no closure is allocated per call. Unless {@code expectedVersion} is {@link
   * #ANY_VERSION}, the write happens only on top of that version (and of {@code expectedEpoch},
   * unless {@code null}). Each commit that lost to another writer counts as a retry in {@code
   * note}.
   */
  private ContextUpdate run(
      String contextId,
      Map<String, ?> input,
      long expectedVersion,
      @Nullable String expectedEpoch,
      Telemetry.@Nullable Note note,
      BiFunction<@Nullable Context, Map<String, ?>, Delta.@Nullable Merged> next) {
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
      Delta.Merged merged = next.apply(current, input);
      if (merged == null || (current != null && merged.delta().isEmpty())) {
        if (!authoritative) {
          read = backend.get(contextId);
          authoritative = true;
          continue;
        }
        if (merged == null) {
          throw new ContextNotFoundException(contextId);
        }
        return new ContextUpdate(time.toApi(current), Delta.empty(), false);
      }
      long version = current == null ? 1 : current.version() + 1;
      String epoch = current == null ? Epochs.next() : current.epoch();
      long at = clock.millis();
      Context context = new Context(contextId, version, merged.state(), at, epoch);
      DeltaRecord record = new DeltaRecord(contextId, version, merged.delta(), at, epoch);
      CommitResult result =
          backend.commit(new Commit(context, record, version - 1, deltaThreshold));
      if (result instanceof CommitResult.Conflict conflict) {
        if (note != null) {
          note.commitRetries++;
        }
        if (attempt == MAX_ATTEMPTS) {
          throw new BackendException(
              "gave up writing '" + contextId + "' after " + attempt + " conflicting attempts");
        }
        read = conflict.current();
        authoritative = true;
        continue;
      }
      if (note != null) {
        note.changes = merged.delta().changeCount();
      }
      return new ContextUpdate(time.toApi(context), merged.delta(), true);
    }
  }

  /** Whether {@code current} is the state a conditional write requires. */
  private static boolean isExpected(
      @Nullable Context current, long expectedVersion, @Nullable String expectedEpoch) {
    if (expectedVersion == 0) {
      return current == null;
    }
    return current != null
        && current.version() == expectedVersion
        && (expectedEpoch == null || expectedEpoch.equals(current.epoch()));
  }
}
