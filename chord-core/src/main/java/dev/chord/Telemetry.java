package dev.chord;

import dev.chord.ChordEvent.FullReason;
import dev.chord.ChordEvent.Operation;
import dev.chord.ChordEvent.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports operations to the configured {@link ChordListener}s. With none configured it costs one
 * array-length check per operation (no clock read, no event).
 */
final class Telemetry {
  private static final Logger log = LoggerFactory.getLogger(Telemetry.class);

  private final ChordListener[] listeners;

  Telemetry(List<ChordListener> listeners) {
    this.listeners = listeners.toArray(new ChordListener[0]);
  }

  /**
   * What an operation learned on its way that its event reports: filled in by the {@link
   * CommitLoop} and the {@link SyncPlanner}. One per observed call, on the calling thread only;
   * none ({@code null}) when nobody listens, so that the operation records nothing.
   */
  static final class Note {
    @Nullable FullReason fullReason;
    int changes;
    int commitRetries;
  }

  /**
   * Runs {@code body} and reports it: its outcome from {@code outcome}, or NOT_FOUND, CONFLICT or
   * ERROR by what it threw (and rethrows).
   */
  <T extends @Nullable Object> T observe(
      Operation operation,
      @Nullable String contextId,
      Supplier<T> body,
      Function<T, Outcome> outcome) {
    if (listeners.length == 0) {
      return body.get();
    }
    return observeNoted(operation, contextId, note -> body.get(), outcome);
  }

  /**
   * {@link #observe}, for a body that fills in a {@link Note} for its event: it is given one when
   * anybody listens, {@code null} otherwise.
   */
  <T extends @Nullable Object> T observeNoted(
      Operation operation,
      @Nullable String contextId,
      Function<@Nullable Note, T> body,
      Function<T, Outcome> outcome) {
    if (listeners.length == 0) {
      return body.apply(null);
    }
    Note note = new Note();
    long start = System.nanoTime();
    T result;
    try {
      result = body.apply(note);
    } catch (ContextNotFoundException e) {
      emit(operation, contextId, start, Outcome.NOT_FOUND, e, note);
      throw e;
    } catch (VersionConflictException e) {
      emit(operation, contextId, start, Outcome.CONFLICT, e, note);
      throw e;
    } catch (RuntimeException | Error e) {
      emit(operation, contextId, start, Outcome.ERROR, e, note);
      throw e;
    }
    emit(operation, contextId, start, outcome.apply(result), null, note);
    return result;
  }

  /** Reports that a subscription's listener of {@code contextId} threw {@code error}. */
  void deliveryFailed(String contextId, Throwable error) {
    emit(Operation.DELIVER, contextId, 0, Outcome.ERROR, error, null);
  }

  private void emit(
      Operation operation,
      @Nullable String contextId,
      long start,
      Outcome outcome,
      @Nullable Throwable error,
      @Nullable Note note) {
    if (listeners.length == 0) {
      return;
    }
    boolean full = operation == Operation.SYNC && outcome == Outcome.FULL;
    ChordEvent event =
        new ChordEvent(
            operation,
            contextId,
            Duration.ofNanos(start == 0 ? 0 : System.nanoTime() - start),
            outcome,
            error,
            full && note != null ? note.fullReason : null,
            note != null && outcome == Outcome.OK ? note.changes : 0,
            note == null ? 0 : note.commitRetries);
    for (ChordListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("telemetry listener failed on {}", event, e);
      }
    }
  }
}
