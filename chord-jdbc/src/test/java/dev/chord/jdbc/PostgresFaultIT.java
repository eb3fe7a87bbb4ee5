package dev.chord.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.chord.BackendException;
import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.spi.History;
import dev.chord.tck.RecordingFeed;
import dev.chord.testsupport.PostgresServer;
import dev.chord.testsupport.PostgresServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL stopped mid-run (a private server, stopped as by a crash): calls fail with {@link
 * BackendException} within the timeout, nothing is stored half, and the same backend instance works
 * again, subscriptions included, once the server is back.
 */
class PostgresFaultIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(1);

  /** What a failing call may take beyond the timeout on a busy shared machine. */
  private static final long SLACK_MILLIS = 2_000;

  @Test
  void databaseStoppedMidRun_failsWithinTheTimeout_storesNothingHalf_andRecovers()
      throws Exception {
    try (PostgresServer server = PostgresServers.own();
        // The wait for a connection is bounded by the backend's timeout, as the Javadoc asks.
        HikariDataSource pool = TestDb.pool(server.jdbcUrl(), 4, TIMEOUT.toMillis())) {
      PostgresBackend backend =
          PostgresBackend.builder(pool).tablePrefix("fault").timeout(TIMEOUT).build();
      backend.createSchema();
      String id = "fault";
      try (Chord chord = Chord.builder().backend(backend).deltaThreshold(10_000).build()) {
        chord.setContext(id, Map.of("n", 0L, "log", Map.of()));
        RecordingFeed feed = new RecordingFeed();
        try (AutoCloseable sub = backend.subscribe(id, feed)) {
          AtomicInteger committed = new AtomicInteger();
          List<Long> failureMillis = new CopyOnWriteArrayList<>();
          List<Throwable> unexpected = new CopyOnWriteArrayList<>();
          AtomicBoolean stop = new AtomicBoolean();
          Thread writer =
              new Thread(
                  () -> {
                    // Each step is retried until it lands; a step whose answer was lost but
                    // which was stored changes nothing when retried.
                    for (long i = 1; !stop.get(); ) {
                      long start = System.nanoTime();
                      try {
                        chord.updateContext(id, Map.of("n", i, "log", Map.of("e" + i, i)));
                        committed.incrementAndGet();
                        i++;
                      } catch (BackendException e) {
                        failureMillis.add((System.nanoTime() - start) / 1_000_000);
                      } catch (RuntimeException e) {
                        unexpected.add(e);
                        return;
                      }
                    }
                  });
          writer.start();
          await(() -> committed.get() >= 30);
          server.stop();
          await(() -> failureMillis.size() >= 5);
          int committedWhileDown = committed.get();
          server.startServer();
          await(() -> committed.get() >= committedWhileDown + 30);
          stop.set(true);
          writer.join(30_000);

          assertThat(unexpected).isEmpty();
          assertThat(failureMillis)
              .as("how long each failing call took, ms")
              .allSatisfy(ms -> assertThat(ms).isLessThan(TIMEOUT.toMillis() + SLACK_MILLIS));

          // Nothing half-written: the stored context is exactly the sum of its stored deltas, and
          // each step is there once, in order.
          try (PostgresBackend fresh =
              PostgresBackend.builder(pool).tablePrefix("fault").cacheSize(0).build()) {
            Context stored = fresh.get(id).orElseThrow();
            long n = (Long) stored.data().get("n");
            assertThat(stored.version()).isEqualTo(n + 1);
            assertThat((Map<?, ?>) stored.data().get("log")).hasSize((int) n);
            History history = fresh.history(id, 1, 10_000).orElseThrow();
            Map<String, Object> replayed = Map.of("n", 0L, "log", Map.of());
            long expected = 2;
            for (DeltaRecord record : history.deltas()) {
              assertThat(record.version()).isEqualTo(expected++);
              replayed = Map.copyOf(record.delta().applyTo(replayed));
            }
            assertThat(replayed).isEqualTo(stored.data());
            assertThat(Delta.diff(replayed, stored.data()).isEmpty()).isTrue();
          }

          // The subscription came back by itself and said "re-read" for what it may have missed.
          feed.awaitEvent("reset -1", 20);
          chord.updateContext(id, Map.of("after", true));
          long version = chord.getContext(id).orElseThrow().version();
          feed.awaitEvent("delta " + version, 20);
        }
      }
    }
  }

  private static void await(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 60 s").isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
