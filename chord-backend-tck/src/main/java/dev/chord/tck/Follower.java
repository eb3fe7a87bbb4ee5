package dev.chord.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Context;
import dev.chord.ContextListener;
import dev.chord.DeltaRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ContextListener} that applies what it gets by the listener rule (a reset replaces its
 * state, a delta applies to the same epoch one version below, or as version 1 while absent),
 * records anything the rule cannot apply, and queues a line per event. It starts from the state
 * {@link #onStart} gives.
 */
final class Follower implements ContextListener {
  private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();

  /** What the rule gives; {@code null}: absent. */
  private volatile @Nullable Context state;

  @Override
  public void onDelta(DeltaRecord record) {
    Context held = state;
    boolean applies =
        held == null
            ? record.version() == 1
            : record.epoch().equals(held.epoch()) && record.version() == held.version() + 1;
    if (applies) {
      Map<String, @Nullable Object> base = held == null ? Map.of() : held.data();
      state =
          new Context(
              record.contextId(),
              record.version(),
              record.delta().applyTo(base),
              record.insertedAt(),
              record.epoch());
    } else {
      violations.add("v" + record.version() + " of " + record.epoch() + " on " + held);
    }
    events.add("delta " + record.epoch() + " v" + record.version());
  }

  @Override
  public void onReset(Optional<Context> current) {
    state = current.orElse(null);
    events.add(current.map(c -> "reset " + c.epoch() + " v" + c.version()).orElse("reset absent"));
  }

  /** Takes the starting state without queuing an event line: tests expect what follows it. */
  @Override
  public void onStart(Optional<Context> current) {
    state = current.orElse(null);
  }

  /** Waits up to {@code timeoutSeconds} for the next event; checks that it is {@code expected}. */
  void expect(String expected, long timeoutSeconds) throws InterruptedException {
    String event = events.poll(timeoutSeconds, TimeUnit.SECONDS);
    assertThat(event).as("the event after %s", expected).isEqualTo(expected);
  }

  /** Checks that every event so far was {@link #expect expected}. */
  void assertNoOtherEvents() {
    assertThat(events).as("events nobody expected").isEmpty();
  }

  /**
   * Checks that the rule could apply every event and that the state is {@code stored}: the same
   * epoch, version and data, or both absent.
   */
  void assertAt(Optional<Context> stored) {
    assertThat(violations).as("events the listener rule cannot apply").isEmpty();
    Context held = state;
    if (stored.isEmpty()) {
      assertThat(held).as("the listener's state where nothing is stored").isNull();
      return;
    }
    assertThat(held).as("the listener's state").isNotNull();
    assertThat(held.epoch()).as("the listener's epoch").isEqualTo(stored.get().epoch());
    assertThat(held.version()).as("the listener's version").isEqualTo(stored.get().version());
    assertThat(held.data()).as("the listener's data").isEqualTo(stored.get().data());
  }
}
