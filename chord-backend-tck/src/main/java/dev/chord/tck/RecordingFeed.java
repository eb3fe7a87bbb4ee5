package dev.chord.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.DeltaRecord;
import dev.chord.spi.Feed;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Feed} that records what a backend tells it as {@code "delta <version>"} and {@code
 * "reset <version>"}, for tests of a backend's feed; {@link #epochs()} has the epochs in the same
 * order.
 */
public final class RecordingFeed implements Feed {
  private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
  private final List<Seen> log = new CopyOnWriteArrayList<>();

  /** One event and the epoch it carried. */
  private record Seen(String event, @Nullable String epoch) {}

  @Override
  public void onDelta(DeltaRecord record) {
    record("delta " + record.version(), record.epoch());
  }

  @Override
  public void onReset(@Nullable String epoch, long version) {
    record("reset " + version, epoch);
  }

  /** Logged before it is queued: once {@link #awaitEvent} saw an event, its epoch is known. */
  private void record(String event, @Nullable String epoch) {
    log.add(new Seen(event, epoch));
    events.add(event);
  }

  /** The epoch of every event seen so far, in order ({@code null} for a reset without one). */
  public List<@Nullable String> epochs() {
    return epochsWhere(event -> true);
  }

  /**
   * The epochs that {@code event} (such as {@code "reset 0"}) carried each time it was seen so far,
   * in order ({@code null} for a reset without one); a backend that repeats a message shows its
   * epoch more than once.
   */
  public List<@Nullable String> epochsOf(String event) {
    return epochsWhere(event::equals);
  }

  private List<@Nullable String> epochsWhere(Predicate<String> event) {
    List<@Nullable String> out = new ArrayList<>();
    for (Seen s : log) {
      if (event.test(s.event())) {
        out.add(s.epoch());
      }
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * Waits for {@code expected}, failing after {@code timeoutSeconds}.
   *
   * @return the events seen before it, in order
   */
  public List<String> awaitEvent(String expected, long timeoutSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    List<String> seen = new ArrayList<>();
    while (true) {
      String event = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      assertThat(event).as("waiting for '%s', saw %s", expected, seen).isNotNull();
      if (event.equals(expected)) {
        return seen;
      }
      seen.add(event);
    }
  }
}
