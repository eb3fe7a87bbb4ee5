package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.chord.Chord;
import dev.chord.SyncResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hand-off between a connection's pump and the threads that wake it: a delta offered by the
 * fan-out and a write completed by the socket, at the same moment. If the pump decided to stop in
 * one step and gave up its flag in another, a wake-up falling between the two found the flag still
 * taken and went away, and the message it should have sent stayed queued until the next commit (for
 * ever, if none came).
 *
 * <p>Each race pits one offer against the completion of the message in flight; afterwards,
 * whichever came first, the delta just offered must be the one in flight. The window is a few
 * instructions wide, so the two threads are lined up by spinning (a parking barrier would spread
 * them by microseconds) and the races run by the hundred thousand.
 */
class LiveConnectionHandOffTest {
  static final int RACES = 100_000;
  static final int STEPS = 500;

  static Chord chord;

  @BeforeAll
  static void start() {
    chord = Chord.builder().deltaThreshold(STEPS).build();
  }

  @AfterAll
  static void stop() {
    chord.close();
  }

  /** A socket that holds one write in flight until some thread completes it. */
  static final class AsyncSink implements LiveConnection.Sink {
    final List<String> sent = Collections.synchronizedList(new ArrayList<>());
    final AtomicReference<Runnable> inFlight = new AtomicReference<>();

    @Override
    public void send(String text, Runnable done, Consumer<Throwable> failed) {
      sent.add(text);
      if (!inFlight.compareAndSet(null, done)) {
        throw new AssertionError("two messages in flight");
      }
    }

    @Override
    public void close(int code, String reason) {
      throw new AssertionError("closed with " + code + ": " + reason);
    }

    /** Completes the write in flight, if any. */
    void complete() {
      Runnable done = inFlight.getAndSet(null);
      if (done != null) {
        done.run();
      }
    }

    long newestVersion() throws Exception {
      String newest = sent.get(sent.size() - 1);
      return ((Number) LiveConnectionTest.parse(newest).get("version")).longValue();
    }
  }

  /**
   * Two threads meeting at numbered points by spinning, so that both leave within nanoseconds. A
   * thread that has spun for long (its partner was descheduled, on a busy machine) yields. A thread
   * that stops early {@link #abandon abandons} the barrier, and a waiting thread stops when that
   * happens or when it is interrupted: otherwise it would spin for ever, on a core, waiting for a
   * partner that is gone.
   */
  static final class SpinBarrier {
    private final AtomicInteger arrived = new AtomicInteger();
    private volatile boolean abandoned;

    /**
     * Waits until both threads have reached point {@code n} (0, 1, 2, … in turn).
     *
     * @throws IllegalStateException if the other thread abandoned the barrier before reaching it
     * @throws InterruptedException if this thread is interrupted while waiting
     */
    void await(int n) throws InterruptedException {
      int target = 2 * (n + 1);
      arrived.incrementAndGet();
      for (int spins = 0; arrived.get() < target; spins++) {
        // Checked again after the flag: a partner arrives before it abandons on its way out.
        if (abandoned && arrived.get() < target) {
          throw new IllegalStateException("the other thread stopped before point " + n);
        }
        if (Thread.interrupted()) {
          throw new InterruptedException("interrupted waiting at point " + n);
        }
        if (spins < 10_000) {
          Thread.onSpinWait();
        } else {
          Thread.yield();
        }
      }
    }

    /** Lets the other thread stop waiting: called by a thread on its way out, however it ends. */
    void abandon() {
      abandoned = true;
    }
  }

  @Test
  void spinBarrier_aWaiterStops_whenItsPartnerHasGoneOrItIsInterrupted() {
    // Preemptive only so that a barrier that spins for ever fails here instead of hanging.
    assertTimeoutPreemptively(
        Duration.ofMinutes(1),
        () -> {
          SpinBarrier gone = new SpinBarrier();
          gone.abandon();
          assertThatThrownBy(() -> gone.await(0)).isInstanceOf(IllegalStateException.class);

          SpinBarrier alone = new SpinBarrier();
          Thread.currentThread().interrupt();
          assertThatThrownBy(() -> alone.await(0)).isInstanceOf(InterruptedException.class);
        });
  }

  @Test
  void anOfferRacingACompletion_isAlwaysSent() throws Exception {
    chord.setContext("room", Map.of("n", 0));
    SyncResult initial = chord.syncContext("room", null);
    String initialText = Json.write(Messages.sync(initial, WireFormat.CHORD));
    List<SharedStep> steps = new ArrayList<>();
    for (int i = 1; i <= STEPS; i++) {
      steps.add(new SharedStep(chord.updateContext("room", Map.of("n", i)).deltaRecord()));
    }
    SpinBarrier barrier = new SpinBarrier();
    AtomicReference<AsyncSink> sinks = new AtomicReference<>();

    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<String> offerer =
          threads.submit(
              () -> {
                try {
                  return offerRaces(steps, initial, initialText, barrier, sinks);
                } finally {
                  barrier.abandon();
                }
              });
      Future<?> completer =
          threads.submit(
              () -> {
                try {
                  for (int race = 0; race < RACES; race++) {
                    barrier.await(2 * race);
                    sinks.get().complete();
                    barrier.await(2 * race + 1);
                  }
                } finally {
                  barrier.abandon();
                }
                return null;
              });
      assertThat(offerer.get()).isNull();
      completer.get();
    } finally {
      threads.shutdownNow();
    }
  }

  /**
   * The offering side of every race: {@code null}, or which race went wrong. When one does, the
   * others are moot; the caller abandons the barrier, so the completer stops too.
   */
  private static String offerRaces(
      List<SharedStep> steps,
      SyncResult initial,
      String initialText,
      SpinBarrier barrier,
      AtomicReference<AsyncSink> sinks)
      throws Exception {
    LiveConnection connection = null;
    for (int race = 0; race < RACES; race++) {
      SharedStep step = steps.get(race % STEPS);
      if (race % STEPS == 0) {
        AsyncSink sink = new AsyncSink();
        sinks.set(sink);
        connection = new LiveConnection(chord, "room", WireFormat.CHORD, sink, 1000, 1000);
        connection.start(initialText, initial.epoch(), initial.version());
      }
      barrier.await(2 * race);
      connection.offer(step);
      barrier.await(2 * race + 1);
      // Whichever came first, the delta just offered is on the socket now: nothing else is left
      // to send it.
      AsyncSink sink = sinks.get();
      if (sink.inFlight.get() == null || sink.newestVersion() != step.record().version()) {
        return "race "
            + race
            + ": version "
            + step.record().version()
            + " was offered but is not in flight; the last sent is "
            + sink.newestVersion();
      }
    }
    return null;
  }
}
