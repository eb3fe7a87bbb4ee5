package dev.chord;

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

  /** Reports that a subscription's listener of {@code contextId} threw {@code error}. */
  void deliveryFailed(String contextId, Throwable error) {
    emit(Operation.DELIVER, contextId, 0, Outcome.ERROR, error);
  }

  private void emit(
      Operation operation,
      @Nullable String contextId,
      long start,
      Outcome outcome,
      @Nullable Throwable error) {
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
}
