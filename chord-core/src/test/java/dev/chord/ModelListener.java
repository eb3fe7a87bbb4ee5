package dev.chord;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link ContextListener} that follows the listener rule and nothing else: a reset replaces its
 * state (a context, or absent); a delta applies only to the state of its epoch one version below
 * (or, while absent, as version 1 of a new incarnation). Anything else, and a call while another is
 * running, is recorded as a violation; {@link #isAt} compares the state with what is stored.
 */
final class ModelListener implements ContextListener {
  /** What the listener was told, for tests that expect an exact sequence. */
  record Event(boolean reset, String epoch, long version) {
    static Event delta(String epoch, long version) {
      return new Event(false, epoch, version);
    }

    static Event reset(String epoch, long version) {
      return new Event(true, epoch, version);
    }

    static Event reset(Context context) {
      return reset(context.epoch(), context.version());
    }

    static Event absent() {
      return new Event(true, null, 0);
    }

    @Override
    public String toString() {
      if (!reset) {
        return "delta " + epoch + " v" + version;
      }
      return epoch == null ? "reset absent" : "reset " + epoch + " v" + version;
    }
  }

  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean();

  /** The state the rule gives; {@code data == null}: absent. Guarded by this. */
  private String epoch;

  private long version;
  private Map<String, Object> data;

  @Override
  public void onDelta(DeltaRecord record) {
    enter();
    try {
      synchronized (this) {
        events.add(Event.delta(record.epoch(), record.version()));
        boolean applies =
            data == null
                ? record.version() == 1
                : record.version() == version + 1 && Objects.equals(record.epoch(), epoch);
        if (!applies) {
          violations.add(Event.delta(record.epoch(), record.version()) + " on " + describe());
          return;
        }
        data = record.delta().applyTo(data == null ? Map.of() : data);
        epoch = record.epoch();
        version = record.version();
      }
    } finally {
      running.set(false);
    }
  }

  @Override
  public void onReset(Optional<Context> current) {
    enter();
    try {
      synchronized (this) {
        events.add(current.map(Event::reset).orElse(Event.absent()));
        epoch = current.map(Context::epoch).orElse(null);
        version = current.map(Context::version).orElse(0L);
        data = current.map(Context::data).orElse(null);
      }
    } finally {
      running.set(false);
    }
  }

  /** Takes the starting state without recording an event: tests list what happens after it. */
  @Override
  public void onStart(Optional<Context> current) {
    startingAt(current);
  }

  private void enter() {
    if (!running.compareAndSet(false, true)) {
      violations.add("called while another call was running");
    }
  }

  /** Starts from {@code stored}, as a listener that read the context before subscribing. */
  synchronized ModelListener startingAt(Optional<Context> stored) {
    epoch = stored.map(Context::epoch).orElse(null);
    version = stored.map(Context::version).orElse(0L);
    data = stored.map(Context::data).orElse(null);
    return this;
  }

  /** Whether the state is {@code stored}: same epoch, version and data, or both absent. */
  synchronized boolean isAt(Optional<Context> stored) {
    if (stored.isEmpty()) {
      return data == null;
    }
    Context context = stored.get();
    return data != null
        && context.epoch().equals(epoch)
        && context.version() == version
        && context.data().equals(data);
  }

  synchronized String describe() {
    return data == null ? "absent" : epoch + " v" + version + " " + data;
  }

  List<Event> events() {
    return new ArrayList<>(events);
  }

  long resets() {
    return events.stream().filter(Event::reset).count();
  }

  List<String> violations() {
    return new ArrayList<>(violations);
  }
}
