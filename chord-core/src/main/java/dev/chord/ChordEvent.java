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
 */
public record ChordEvent(
    Operation operation,
    @Nullable String contextId,
    Duration duration,
    Outcome outcome,
    @Nullable Throwable error) {

  public ChordEvent {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(outcome, "outcome");
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
