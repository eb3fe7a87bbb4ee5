package dev.chord;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Telemetry for one public {@link Chord} operation, sent to every {@link ChordListener} when the
 * operation ends, successfully or not.
 *
 * @param operation which operation ran
 * @param contextId the context it ran on; {@code null} for {@link Operation#CLEANUP}
 * @param duration how long it took
 * @param outcome how it ended
 * @param error the exception it threw, {@code null} unless {@code outcome} is {@link
 *     Outcome#NOT_FOUND}, {@link Outcome#CONFLICT} or {@link Outcome#ERROR}
 * @param fullReason why a sync answered with the whole context: set exactly when {@code operation}
 *     is {@link Operation#SYNC} and {@code outcome} is {@link Outcome#FULL}, else {@code null}
 * @param changes the number of leaf changes ({@link Delta#changeCount()}) in the delta a set or
 *     update committed ({@code outcome} {@link Outcome#OK}); 0 for every other event
 * @param commitRetries how often a set or update found that another writer had committed first and
 *     computed its change again (optimistic-commit retries), whatever its outcome; 0 for every
 *     other operation
 */
public record ChordEvent(
    Operation operation,
    @Nullable String contextId,
    Duration duration,
    Outcome outcome,
    @Nullable Throwable error,
    @Nullable FullReason fullReason,
    int changes,
    int commitRetries) {

  public ChordEvent {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(outcome, "outcome");
    if (changes < 0 || commitRetries < 0) {
      throw new IllegalArgumentException(
          "changes and commitRetries must be at least 0, were " + changes + ", " + commitRetries);
    }
  }

  /** An event without sync reason, changes or retries, as before those were reported. */
  public ChordEvent(
      Operation operation,
      @Nullable String contextId,
      Duration duration,
      Outcome outcome,
      @Nullable Throwable error) {
    this(operation, contextId, duration, outcome, error, null, 0, 0);
  }

  /** The operations that emit events. */
  public enum Operation {
    SET,
    UPDATE,
    GET,
    SYNC,
    DELETE,
    EXPORT,
    RESTORE,
    CLEANUP,
    /** {@link Chord#subscribe} was called (closing a subscription reports nothing). */
    SUBSCRIBE,
    /** A subscriber's listener threw; {@code error} says what. */
    DELIVER;

    /** Lower-case name, for metric tags. */
    public String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Why a sync answered with the whole context rather than a patch or "no change". */
  public enum FullReason {
    /** The client holds nothing ({@code syncContext(id, null)}). */
    NO_VERSION,
    /** The client holds another incarnation of the id: another epoch. */
    OTHER_EPOCH,
    /** The client claims a version above the current one. */
    AHEAD,
    /** The client is more versions behind than the delta threshold keeps. */
    TOO_FAR_BEHIND,
    /**
     * Some delta the client needs is no longer stored (trimmed by TTL or cleanup, or lost by a
     * restore).
     */
    HISTORY_GAP;

    /** Lower-case name, for metric tags. */
    public String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** How an operation ended. */
  public enum Outcome {
    /** Done; for set/update: a new version was stored. */
    OK,
    /** A set/update that changed nothing, so nothing was stored. */
    UNCHANGED,
    /** A sync answered with the whole context. */
    FULL,
    /** A sync answered with a merged delta. */
    PATCH,
    /** A sync answered that the client is current. */
    NO_CHANGE,
    /** A conditional write found the context at another version; nothing was stored. */
    CONFLICT,
    /** The context does not exist ({@code getContext} returning empty counts too). */
    NOT_FOUND,
    /** The operation threw. */
    ERROR;

    /** Lower-case name, for metric tags. */
    public String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
