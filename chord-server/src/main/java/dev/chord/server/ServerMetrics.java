package dev.chord.server;

import dev.chord.Chord;
import dev.chord.micrometer.ChordMetrics;
import dev.chord.spi.Backend;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jetty.JettyConnectionMetrics;
import io.micrometer.core.instrument.binder.jetty.JettyServerThreadPoolMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.jetty12.server.DefaultJettyCoreRequestTagsProvider;
import io.micrometer.jetty12.server.JettyCoreRequestTagsProvider;
import io.micrometer.jetty12.server.TimedHandler;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * The server's meters and {@code GET /metrics}: one Prometheus registry holding the Chord meters
 * ({@link ChordMetrics}, with histogram buckets), JVM and process meters (Micrometer's binders),
 * HTTP request timers from Jetty's own instrumentation (Micrometer's Jetty 12 {@link TimedHandler}:
 * {@code http.server.requests} tagged by method, route, status and outcome) plus Jetty's connection
 * and thread-pool meters, and the live path ({@code chord.live.*}, reported through {@link
 * LiveMeters}).
 *
 * <p>Access: with a metrics token, a scrape must send it as {@code Authorization: Bearer}; without
 * one, on a server with auth on, it needs a token with the admin right on every context; on an open
 * server without a metrics token, anyone may scrape.
 */
final class ServerMetrics implements LiveMeters, AutoCloseable {
  /** The Prometheus text exposition format, version 0.0.4. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** The request attribute that names a request's route for the HTTP timer ({@link RequestLog}). */
  static final String ROUTE = "chord.route";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final byte[] token;
  private final Counter patches;
  private final Counter fulls;
  private final Counter absents;
  private final Counter noChanges;
  private final Counter merges;
  private final Counter coalesces;
  private final Counter resyncs;
  private final Timer lag;
  private final DistributionSummary depth;
  private final Map<LiveClose, Counter> closes = new EnumMap<>(LiveClose.class);

  /**
   * @param token the bearer token scrapers send, {@code null} for none
   */
  ServerMetrics(String token) {
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    // Before any meter: a filter added later does not apply to meters already registered.
    registry.config().meterFilter(ChordMetrics.histogramBuckets());
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmInfoMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    this.patches = message("patch");
    this.fulls = message("full");
    this.absents = message("absent");
    this.noChanges = message("no_change");
    this.merges =
        Counter.builder("chord.live.merged")
            .description("Live queues that overflowed and were merged into one patch")
            .register(registry);
    this.coalesces =
        Counter.builder("chord.live.coalesced")
            .description("Live messages that carried several queued commits as one patch")
            .register(registry);
    this.resyncs =
        Counter.builder("chord.live.resyncs")
            .description("Live queues replaced by one full context (overflow or a hole)")
            .register(registry);
    this.lag =
        Timer.builder("chord.live.lag")
            .description(
                "From this node learning of a commit to its patch being handed to a socket")
            .register(registry);
    this.depth =
        DistributionSummary.builder("chord.live.queue.depth")
            .description("Messages queued on a live connection when a delta is queued")
            .baseUnit("messages")
            .register(registry);
    // Every reason from the start, at 0: a dashboard's rate() needs the series before the event.
    for (LiveClose reason : LiveClose.values()) {
      closes.put(
          reason,
          Counter.builder("chord.live.closed")
              .description("Live connections that ended, by reason")
              .tag("reason", reason.tag())
              .register(registry));
    }
  }

  private Counter message(String type) {
    return Counter.builder("chord.live.messages")
        .description("Messages handed to live sockets, by type")
        .tag("type", type)
        .register(registry);
  }

  /** The registry; for tests and for meters of the server's own. */
  MeterRegistry registry() {
    return registry;
  }

  /**
   * Records the operations of the Chord {@code builder} builds, and the gauges of {@code backend}.
   */
  void bind(Chord.Builder builder, Backend backend) {
    ChordMetrics.bind(builder, registry);
    ChordMetrics.bindGauges(backend, registry);
  }

  /** Registers {@code chord.live.connections}. */
  void bind(LiveHub hub) {
    Gauge.builder("chord.live.connections", hub, LiveHub::connectionCount)
        .description("Open live WebSocket connections on this node")
        .register(registry);
  }

  /**
   * Puts Jetty's request timer around everything Javalin serves (Javalin attaches its handler
   * inside the server's handler), and binds Jetty's connection and thread-pool meters.
   */
  void instrument(JavalinConfig cfg) {
    cfg.jetty.modifyServer(
        server -> {
          server.setHandler(new TimedHandler(registry, Tags.empty(), new RouteTags()));
          new JettyServerThreadPoolMetrics(server.getThreadPool(), Tags.empty()).bindTo(registry);
          // Javalin adds its connector after this runs: bind the connection meters at start.
          server.addEventListener(
              new LifeCycle.Listener() {
                @Override
                public void lifeCycleStarting(LifeCycle event) {
                  JettyConnectionMetrics.addToAllConnectors(server, registry);
                }
              });
        });
  }

  /**
   * {@code GET /metrics}.
   *
   * @throws ApiException 401/403 if the scraper may not read them
   */
  void scrape(Context ctx, Access access) {
    String bearer = Access.bearer(ctx.header("Authorization"));
    boolean tokenMatches =
        token != null
            && bearer != null
            && MessageDigest.isEqual(token, bearer.getBytes(StandardCharsets.UTF_8));
    if (!tokenMatches) {
      if (token != null && access.open()) {
        throw new ApiException(401, "unauthorized", "/metrics needs the metrics token");
      }
      access.require(bearer, null, Right.ADMIN);
    }
    ctx.contentType(CONTENT_TYPE).result(registry.scrape());
  }

  @Override
  public void handedOff(String type, long since) {
    switch (type) {
      case "patch" -> patches.increment();
      case "full" -> fulls.increment();
      case "absent" -> absents.increment();
      default -> noChanges.increment();
    }
    if (since != 0) {
      lag.record(System.nanoTime() - since, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void merged() {
    merges.increment();
  }

  @Override
  public void coalesced() {
    coalesces.increment();
  }

  @Override
  public void resynced() {
    resyncs.increment();
  }

  @Override
  public void queued(int depth) {
    this.depth.record(depth);
  }

  @Override
  public void closed(LiveClose reason) {
    closes.get(reason).increment();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }

  /**
   * Jetty's default tags (method, status, outcome) and {@code uri}: the Javalin route that served
   * the request ({@code /contexts/{id}}, never the raw path), {@code static} for files, {@code
   * NOT_FOUND} for a path nothing serves. Bounded, whatever clients send.
   */
  private static final class RouteTags implements JettyCoreRequestTagsProvider {
    private final DefaultJettyCoreRequestTagsProvider defaults =
        new DefaultJettyCoreRequestTagsProvider();

    @Override
    public Iterable<Tag> getTags(Request request) {
      Object route = request.getAttribute(ROUTE);
      return Tags.of(defaults.getTags(request))
          .and("uri", route instanceof String named ? named : "UNKNOWN");
    }
  }
}
