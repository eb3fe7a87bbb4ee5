package dev.chord;

import java.time.temporal.ChronoUnit;

/**
 * Converts between storage time and API time. Backends store {@code insertedAt} in milliseconds,
 * whatever a node is configured with, so that nodes with different {@link Chord.Builder#timeUnit}
 * settings read each other's times right; Chord hands out times in the configured unit.
 */
final class TimeScale {
  private final boolean seconds;

  TimeScale(ChronoUnit unit) {
    this.seconds = unit == ChronoUnit.SECONDS;
  }

  /** A stored time in the configured unit. */
  long toApi(long millis) {
    return seconds ? Math.floorDiv(millis, 1000) : millis;
  }

  /** {@code context} with its time in the configured unit (the same object for milliseconds). */
  Context toApi(Context context) {
    return seconds
        ? new Context(
            context.contextId(),
            context.version(),
            context.data(),
            toApi(context.insertedAt()),
            context.epoch())
        : context;
  }

  /** {@code record} with its time in the configured unit (the same object for milliseconds). */
  DeltaRecord toApi(DeltaRecord record) {
    return seconds
        ? new DeltaRecord(
            record.contextId(),
            record.version(),
            record.delta(),
            toApi(record.insertedAt()),
            record.epoch())
        : record;
  }
}
