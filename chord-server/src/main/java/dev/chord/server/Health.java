package dev.chord.server;

import dev.chord.spi.Backend;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The probes for orchestrators: {@code GET /health/live} (the process serves requests) and {@code
 * GET /health/ready} (the backend answered a read within the timeout). The read is one {@link
 * Backend#probe}, straight to the backend (not through Chord, so probes do not show in the
 * operation meters), on a thread of its own: a backend that hangs holds that thread, never a
 * request thread, and while one probe read is still out, later probes wait for it rather than start
 * more.
 */
final class Health implements AutoCloseable {
  private final Backend backend;
  private final String backendName;
  private final Duration timeout;
  private final ExecutorService prober =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "chord-health-probe");
            t.setDaemon(true);
            return t;
          });

  /** The probe read out or last done; guarded by this. */
  private CompletableFuture<?> probe = CompletableFuture.completedFuture(null);

  Health(Backend backend, String backendName, Duration timeout) {
    this.backend = backend;
    this.backendName = backendName;
    this.timeout = timeout;
  }

  /** {@code GET /health/live}: 200 whenever the server answers at all. */
  void live(Context ctx) {
    send(ctx, Map.of("status", "up"));
  }

  /**
   * {@code GET /health/ready}.
   *
   * @throws ApiException 503 {@code backend_unavailable} if the backend failed or did not answer in
   *     time
   */
  void ready(Context ctx) throws InterruptedException {
    CompletableFuture<?> read;
    synchronized (this) {
      if (probe.isDone()) {
        probe = CompletableFuture.runAsync(backend::probe, prober);
      }
      read = probe;
    }
    try {
      read.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new ApiException(
          503,
          "backend_unavailable",
          "the backend did not answer within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      throw new ApiException(
          503, "backend_unavailable", "the backend failed: " + e.getCause().getMessage());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status", "ready");
    out.put("backend", backendName);
    send(ctx, out);
  }

  private static void send(Context ctx, Map<String, Object> body) {
    ctx.contentType("application/json").result(Json.writeBytes(body));
  }

  @Override
  public void close() {
    prober.shutdownNow();
  }
}
