package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.BackendException;
import dev.chord.Context;
import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.ForwardingBackend;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** /health/live and /health/ready answer as probes need, whatever state the backend is in. */
class HealthIT {
  /** A backend whose reads can be made to fail or to hang, as a broken store's do. */
  private static final class Faulty extends ForwardingBackend {
    volatile boolean failing;
    volatile CountDownLatch hang;

    Faulty() {
      super(InMemoryBackend.create());
    }

    @Override
    public Optional<Context> get(String contextId) {
      if (failing) {
        throw new BackendException("connection refused");
      }
      CountDownLatch latch = hang;
      if (latch != null) {
        try {
          latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return super.get(contextId);
    }

    /** The probe reads through this backend's faults, not straight to the one it wraps. */
    @Override
    public void probe() {
      get(PROBE_ID);
    }
  }

  @Test
  void ready_followsTheBackend_liveStaysUp() {
    Faulty backend = new Faulty();
    try (ChordServer server =
        ServerFixture.start(
            b -> b.backend(backend, "faulty").readyTimeout(Duration.ofMillis(300)))) {
      Http http = new Http(server.url());
      assertThat(http.get("/health/live").json()).containsEntry("status", "up");
      Http.Reply ready = http.get("/health/ready");
      assertThat(ready.status()).isEqualTo(200);
      assertThat(ready.json()).containsEntry("status", "ready").containsEntry("backend", "faulty");

      backend.failing = true;
      Http.Reply failed = http.get("/health/ready");
      assertThat(failed.status()).isEqualTo(503);
      assertThat(failed.json()).containsEntry("error", "backend_unavailable");
      assertThat((String) failed.json().get("message")).contains("connection refused");
      assertThat(http.get("/health/live").status()).isEqualTo(200);

      backend.failing = false;
      backend.hang = new CountDownLatch(1);
      Http.Reply slow = http.get("/health/ready");
      assertThat(slow.status()).isEqualTo(503);
      assertThat((String) slow.json().get("message")).contains("within 300 ms");
      assertThat(http.get("/health/ready").status())
          .as("a second probe waits for the read still out")
          .isEqualTo(503);
      assertThat(http.get("/health/live").status()).isEqualTo(200);

      backend.hang.countDown();
      backend.hang = null;
      org.awaitility.Awaitility.await().until(() -> http.get("/health/ready").status() == 200);
      assertThat(http.get("/health").status()).as("/health is unchanged").isEqualTo(200);
    }
  }
}
