package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Context;
import dev.chord.ContextListener;
import dev.chord.DeltaRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ContextListener} that keeps the state its events lead to, as a client would: a reset
 * replaces it, a delta applies to it. It checks the listener rule on every delta (same epoch, one
 * version up, or a version 1 while absent) and records each event pushed after the start as {@code
 * "delta <version>"}, {@code "reset <version>"} or {@code "reset absent"}; the starting state
 * ({@link #onStart}) is its first state, not an event.
 */
final class Mirror implements ContextListener {
  private Context state;
  private final List<String> events = new ArrayList<>();
  private final List<String> violations = new ArrayList<>();

  @Override
  public synchronized void onDelta(DeltaRecord record) {
    events.add("delta " + record.version());
    boolean follows =
        state == null
            ? record.version() == 1
            : Objects.equals(state.epoch(), record.epoch())
                && state.version() == record.version() - 1;
    if (!follows) {
      violations.add(record.epoch() + "/" + record.version() + " on " + describe(state));
    }
    Map<String, Object> base = state == null ? Map.of() : state.data();
    state =
        new Context(
            record.contextId(),
            record.version(),
            record.delta().applyTo(base),
            record.insertedAt(),
            record.epoch());
    notifyAll();
  }

  @Override
  public synchronized void onReset(Optional<Context> current) {
    events.add("reset " + current.map(c -> Long.toString(c.version())).orElse("absent"));
    state = current.orElse(null);
    notifyAll();
  }

  @Override
  public synchronized void onStart(Optional<Context> current) {
    state = current.orElse(null);
    notifyAll();
  }

  /** The events so far, in order. */
  synchronized List<String> events() {
    return List.copyOf(events);
  }

  /**
   * Waits until the state is {@code expected} (epoch, version and data; empty: absent), failing
   * after 20 s, and checks that no delta broke the listener rule on the way.
   */
  synchronized void awaitState(Optional<Context> expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!matches(expected.orElse(null))) {
      long left = deadline - System.nanoTime();
      assertThat(left)
          .as("mirror at %s, expected %s; events %s", describe(state), expected, events)
          .isPositive();
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    assertThat(violations).as("deltas that did not follow; events %s", events).isEmpty();
  }

  private boolean matches(Context expected) {
    if (expected == null || state == null) {
      return expected == null && state == null;
    }
    return expected.epoch().equals(state.epoch())
        && expected.version() == state.version()
        && expected.data().equals(state.data());
  }

  private static String describe(Context context) {
    return context == null
        ? "absent"
        : context.epoch() + "/" + context.version() + " " + context.data();
  }
}
