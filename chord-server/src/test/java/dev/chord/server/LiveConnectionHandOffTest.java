package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import dev.chord.SyncResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
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
   * thread that has spun for long (its partner was descheduled, on a busy machine) yields.
   */
  static final class SpinBarrier {
    private final AtomicInteger arrived = new AtomicInteger();

    /** Waits until both threads have reached point {@code n} (0, 1, 2, … in turn). */
    void await(int n) {
      arrived.incrementAndGet();
      for (int spins = 0; arrived.get() < 2 * (n + 1); spins++) {
        if (spins < 10_000) {
          Thread.onSpinWait();
        } else {
          Thread.yield();
        }
      }
    }
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
    AtomicBoolean stop = new AtomicBoolean();

    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<String> offerer =
          threads.submit(
              () -> {
                LiveConnection connection = null;
                for (int race = 0; race < RACES; race++) {
                  SharedStep step = steps.get(race % STEPS);
                  if (race % STEPS == 0) {
                    AsyncSink sink = new AsyncSink();
                    sinks.set(sink);
                    connection =
                        new LiveConnection(chord, "room", WireFormat.CHORD, sink, 1000, 1000);
                    connection.start(initialText, initial.epoch(), initial.version());
                  }
                  barrier.await(2 * race);
                  connection.offer(step);
                  barrier.await(2 * race + 1);
                  // Whichever came first, the delta just offered is on the socket now: nothing
                  // else is left to send it.
                  AsyncSink sink = sinks.get();
                  if (sink.inFlight.get() == null
                      || sink.newestVersion() != step.record().version()) {
                    stop.set(true);
                    return "race "
                        + race
                        + ": version "
                        + step.record().version()
                        + " was offered but is not in flight; the last sent is "
                        + sink.newestVersion();
                  }
                }
                return null;
              });
      Future<?> completer =
          threads.submit(
              () -> {
                for (int race = 0; race < RACES && !stop.get(); race++) {
                  barrier.await(2 * race);
                  sinks.get().complete();
                  barrier.await(2 * race + 1);
                }
                return null;
              });
      assertThat(offerer.get()).isNull();
      completer.get();
    } finally {
      threads.shutdownNow();
    }
  }
}
