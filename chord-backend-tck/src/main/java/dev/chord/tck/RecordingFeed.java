package dev.chord.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.DeltaRecord;
import dev.chord.spi.Feed;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Feed} that records what a backend tells it as {@code "delta <version>"} and {@code
 * "reset <version>"}, for tests of a backend's feed.
 */
public final class RecordingFeed implements Feed {
  private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

  @Override
  public void onDelta(DeltaRecord record) {
    events.add("delta " + record.version());
  }

  @Override
  public void onReset(long version) {
    events.add("reset " + version);
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
