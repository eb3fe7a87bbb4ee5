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

/**
 * A {@link Feed} that records what a backend tells it as {@code "delta <version>"} and {@code
 * "reset <version>"}, for tests of a backend's feed; {@link #epochs()} has the epochs in the same
 * order.
 */
public final class RecordingFeed implements Feed {
  private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
  private final List<String> epochs = new CopyOnWriteArrayList<>();

  @Override
  public void onDelta(DeltaRecord record) {
    epochs.add(record.epoch());
    events.add("delta " + record.version());
  }

  @Override
  public void onReset(String epoch, long version) {
    epochs.add(epoch);
    events.add("reset " + version);
  }

  /** The epoch of every event seen so far, in order ({@code null} for a reset without one). */
  public List<String> epochs() {
    return Collections.unmodifiableList(new ArrayList<>(epochs));
  }

  /**
   * Waits for {@code expected}, failing after {@code timeoutSeconds}.
   *
   * @return the events seen before it, in order
   */
  public List<String> awaitEvent(String expected, long timeoutSeconds)
      throws InterruptedException {
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
