package dev.chord.server;

import dev.chord.Chord;
import dev.chord.ContextExporter;
import dev.chord.ContextProvider;
import dev.chord.filestore.FileContextStore;
import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.Backend;
import dev.chord.spi.Snapshots;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;
import io.javalin.util.JavalinException;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Chord sync server: the HTTP API, WebSocket push, the browser client and the demo, over
 * one {@link Chord} that it owns.
 *
 * <pre>{@code
 * try (ChordServer server = ChordServer.builder().port(0).start()) {
 *   System.out.println("listening on " + server.url());
 * }
 * }</pre>
 *
 * <p>Routes: {@code PUT|PATCH|GET|DELETE /contexts/{id}}, {@code GET /contexts/{id}/sync}, {@code
 * POST /contexts/{id}/export|restore}, {@code POST /admin/cleanup}, {@code GET /health} (each also
 * answering {@code OPTIONS}, the CORS preflight), {@code GET /health/live}, {@code GET
 * /health/ready}, {@code GET /metrics} (unless metrics are off), WebSocket {@code
 * /contexts/{id}/live}, and the static files {@code /} (demo) and {@code /chord-client.js}. See the
 * module README for the wire formats.
 */
public final class ChordServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChordServer.class);

  /** The largest request line and headers, in bytes (Jetty's default, made explicit). */
  static final int MAX_HEADER_BYTES = 8 * 1024;

  /** The routes of the HTTP API, each answering CORS preflights. */
  private static final List<String> API_PATHS =
      List.of(
          "/health",
          "/contexts/{id}",
          "/contexts/{id}/sync",
          "/contexts/{id}/export",
          "/contexts/{id}/restore",
          "/admin/cleanup");

  private final Chord chord;
  private final ServerMetrics metrics;
  private final Health health;
  private final LiveHub hub;
  private final Presence presence;
  private final LiveEndpoint live;
  private final Javalin app;
  private final String host;
  private final @Nullable AutoCloseable storeResource;
  private final Duration shutdownGrace;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Server jetty;

  private ChordServer(Builder b) {
    if (b.storeDir != null) {
      FileContextStore store = FileContextStore.create(b.storeDir);
      b.chord.exporter(store).externalProvider(store);
    } else if (b.storeExporter != null && b.storeProvider != null) {
      b.chord.exporter(b.storeExporter).externalProvider(b.storeProvider);
    }
    this.storeResource = b.storeResource;
    if (b.tiered) {
      // A tiered server serves what it exported or evicted on the next access.
      b.chord.restoreOnMiss(true);
    }
    this.metrics = b.metrics ? new ServerMetrics(b.metricsToken) : null;
    if (metrics != null) {
      metrics.bind(b.chord, b.backend);
    }
    this.chord = b.chord.build();
    this.health = new Health(b.backend, b.backendName, b.readyTimeout);
    this.hub =
        new LiveHub(
            chord, b.wsQueueLimit, b.maxMergedChanges, metrics == null ? LiveMeters.NONE : metrics);
    if (metrics != null) {
      metrics.bind(hub);
    }
    this.presence = new Presence(chord, b.clock, b.presenceLease);
    Access access = new Access(b.authSecret == null ? null : Tokens.key(b.authSecret), b.clock);
    Json json = new Json(b.maxJsonDepth);
    HttpApi api = new HttpApi(chord, b.backend, hub, access, json, b.backendName, b.maxIdLength);
    this.live =
        new LiveEndpoint(
            hub,
            presence,
            access,
            json,
            b.clock,
            metrics == null ? LiveMeters.NONE : metrics,
            new LiveEndpoint.Policy(
                b.wsSendBufferBytes,
                b.wsStallTimeout,
                b.wsIdleTimeout,
                b.wsCompression,
                b.wsMaxMessageBytes),
            b.maxConnectionsPerIp);
    Hosts hosts = Hosts.of(b.host, b.allowedHosts, Origins.hosts(b.allowedOrigins));
    Origins origins = Origins.of(b.allowedOrigins, hosts);
    this.host = b.host;
    this.shutdownGrace = b.shutdownGrace;
    this.app = Javalin.create(cfg -> configure(cfg, b, api, access, origins));
    try {
      app.start(b.host, b.port);
    } catch (RuntimeException e) {
      live.close();
      presence.close();
      hub.close();
      health.close();
      try {
        chord.close();
      } finally {
        closeStoreResource();
      }
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    if (access.open()) {
      log.warn(
          "\n*** AUTH IS OFF *** anyone who can reach {}:{} can read, change and delete every"
              + " context.\n*** Start with --auth-secret (or CHORD_AUTH_SECRET) to require bearer"
              + " tokens.",
          b.host,
          port());
    }
    if (hosts.unprotected()) {
      log.warn(
          "\n"
              + "*** DNS-REBINDING PROTECTION IS OFF *** bound to {}, the server answers to any"
              + " host name: a web page whose name is re-bound to this machine can use it through a"
              + " visitor's browser.\n"
              + "*** Start with --allowed-hosts (or CHORD_ALLOWED_HOSTS) naming the host names"
              + " clients use.",
          b.host);
    }
  }

  /** A builder with every default: in-memory backend, 127.0.0.1:7070, auth off. */
  public static Builder builder() {
    return new Builder();
  }

  private void configure(
      JavalinConfig cfg, Builder b, HttpApi api, Access access, Origins origins) {
    cfg.startup.showJavalinBanner = false;
    cfg.requestLogger.http(new RequestLog(b.accessLog));
    if (metrics != null) {
      metrics.instrument(cfg);
    }
    cfg.http.maxRequestSize = b.maxBodyBytes;
    cfg.http.prefer405over404 = true;
    cfg.staticFiles.add("/public", Location.CLASSPATH);
    // Bodies are read before the handlers run, without a thread (BodyGate); errors Jetty answers
    // by itself get the API's JSON body (JsonErrorHandler).
    JsonErrorHandler errors = new JsonErrorHandler(MAX_HEADER_BYTES);
    BodyGate gate = new BodyGate(b.maxBodyBytes, b.bodyTimeout);
    cfg.jetty.modifyHttpConfiguration(http -> http.setRequestHeaderSize(MAX_HEADER_BYTES));
    cfg.jetty.modifyServer(
        server -> {
          this.jetty = server;
          server.setErrorHandler(errors);
          gate.installIn(server);
        });
    cfg.jetty.modifyServletContextHandler(
        context -> {
          context.setErrorHandler(errors);
          live.servletContext(context);
        });
    cfg.jetty.modifyWebSocketServletFactory(live::configure);

    var routes = cfg.routes;
    routes.before(origins::filter);
    for (String path : API_PATHS) {
      routes.options(path, origins::preflight);
    }
    routes.get("/health", api::health);
    routes.get("/health/live", health::live);
    routes.get("/health/ready", health::ready);
    if (metrics != null) {
      routes.get("/metrics", ctx -> metrics.scrape(ctx, access));
    }
    routes.put("/contexts/{id}", api::put);
    routes.patch("/contexts/{id}", api::patch);
    routes.get("/contexts/{id}", api::get);
    routes.delete("/contexts/{id}", api::delete);
    routes.get("/contexts/{id}/sync", api::sync);
    routes.post("/contexts/{id}/export", api::export);
    routes.post("/contexts/{id}/restore", api::restore);
    routes.post("/admin/cleanup", api::cleanup);

    routes.wsBeforeUpgrade(
        "/contexts/{id}/live",
        ctx -> {
          ctx.attribute(ServerMetrics.ROUTE, "/contexts/{id}/live");
          origins.checkUpgrade(ctx);
          String id = api.contextId(ctx.pathParam("id"));
          access.require(
              LiveEndpoint.token(ctx.header("Authorization"), ctx.queryParam("token")),
              id,
              Right.READ);
          ClientState.parse(ctx.queryParam("version"), ctx.queryParam("epoch"));
          WireFormat.parse(ctx.queryParam("format"));
          if (!live.hasRoom(ctx.ip())) {
            throw new ApiException(
                429, "too_many_connections", "too many live connections from " + ctx.ip());
          }
          live.keepSocket(ctx);
        });
    routes.ws("/contexts/{id}/live", live::handlers);
    routes.wsAfterUpgrade(
        "/contexts/{id}/live",
        ctx -> {
          // Only once Jetty has upgraded: Javalin takes any request with Sec-WebSocket-Version
          // for an upgrade, and a plain GET that fails it keeps its (keep-alive) connection.
          if (ctx.res().getStatus() == HttpServletResponse.SC_SWITCHING_PROTOCOLS) {
            live.capSendBuffer(ctx);
          }
          // Javalin copies the HTTP session's attributes into every upgrade, creating a session
          // that Jetty would keep forever: one per connection ever made. We use no sessions.
          var session = ctx.req().getSession(false);
          if (session != null) {
            session.invalidate();
          }
        });

    // Javalin's own 404/405 are HttpResponseExceptions with a default text renderer of their own;
    // naming the class takes them over so that every error is JSON.
    routes.exception(io.javalin.http.HttpResponseException.class, HttpApi::fail);
    routes.exception(Exception.class, HttpApi::fail);
  }

  /** The port the server listens on (the one chosen, if it was started on port 0). */
  public int port() {
    return app.port();
  }

  /** The base URL, such as {@code http://127.0.0.1:7070}. */
  public String url() {
    String shown = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + shown + ":" + port();
  }

  /** The registry behind {@code GET /metrics}; empty when metrics are off. */
  public Optional<io.micrometer.core.instrument.MeterRegistry> meterRegistry() {
    return Optional.ofNullable(metrics).map(ServerMetrics::registry);
  }

  /** The {@link Chord} this server serves; closed with the server. */
  public Chord chord() {
    return chord;
  }

  /** How often a live connection's queue overflowed; for tests. */
  long liveOverflows() {
    return hub.overflows();
  }

  /** Stall closes started on live sockets; for tests. */
  long liveStallsStarted() {
    return live.stallsStarted();
  }

  /** Deflaters the live sockets hold from Jetty's pool; for tests. */
  int liveDeflatersInUse() {
    return live.deflatersInUse();
  }

  /** Token-expiry closes and post-close resets scheduled for live sockets; for tests. */
  int scheduledExpiries() {
    return live.scheduledExpiries();
  }

  /** Closes every live WebSocket connection, as a restart would: clients reconnect and catch up. */
  void disconnectAll() {
    live.disconnectAll();
  }

  /**
   * Shuts down gracefully, within the {@link Builder#shutdownGrace} grace period: stops accepting
   * connections, sends every live socket a close frame {@code 1001 going away} (its client
   * reconnects elsewhere, or later, from its epoch and version), lets the requests in flight
   * finish, then stops the server and closes the Chord and its backend. What is still running when
   * the grace period ends is cut off. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long deadline = System.nanoTime() + shutdownGrace.toNanos();
    try {
      Server server = jetty;
      if (server != null) {
        for (Connector connector : server.getConnectors()) {
          // Stops accepting; the open connections stay. The graceful stop below waits for them.
          var unused = connector.shutdown();
        }
        live.goAway(deadline);
        server.setStopTimeout(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      }
      stopJetty();
    } finally {
      live.close();
      presence.close();
      hub.close();
      health.close();
      try {
        chord.close();
      } finally {
        closeStoreResource();
      }
      if (metrics != null) {
        metrics.close();
      }
    }
  }

  /** Closes what {@link Builder#store} was given to close, after the Chord's last exports. */
  private void closeStoreResource() {
    if (storeResource == null) {
      return;
    }
    try {
      storeResource.close();
    } catch (Exception e) {
      log.warn("closing the store failed", e);
    }
  }

  /**
   * Stops Jetty, gracefully within what is left of the grace period. When it ends with requests
   * still in flight, Jetty stops all the same, cutting them off, and then reports the timeout: that
   * is the grace period doing its job, not a failure of the shutdown.
   */
  private void stopJetty() {
    try {
      app.stop();
    } catch (JavalinException e) {
      if (!(e.getCause() instanceof TimeoutException)) {
        throw e;
      }
      log.warn(
          "the shutdown grace of {} ended with requests in flight; they were cut off",
          Main.DurationConverter.format(shutdownGrace));
    }
  }

  /**
   * Configures a {@link ChordServer}. Every setting is optional and checked when set. The settings
   * of the {@link Chord} it serves go to a {@link Chord.Builder} held inside, which checks them and
   * holds their defaults: those mirrored here ({@link #deltaThreshold}, {@link #deltaTtl}, …) and
   * any other through {@link #chord(Consumer)}.
   */
  public static final class Builder {
    /** {@link #host}'s default: this machine only. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    /** {@link #port}'s default. */
    public static final int DEFAULT_PORT = 7070;

    /** {@link #maxBodyBytes}'s default: 1 MiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

    /** {@link #maxJsonDepth}'s default. */
    public static final int DEFAULT_MAX_JSON_DEPTH = 32;

    /** {@link #maxIdLength}'s default. */
    public static final int DEFAULT_MAX_ID_LENGTH = 128;

    /** {@link #wsMaxMessageBytes}'s default: 4 KiB. */
    public static final int DEFAULT_WS_MAX_MESSAGE_BYTES = 4096;

    /** {@link #wsQueueLimit}'s default. */
    public static final int DEFAULT_WS_QUEUE_LIMIT = 64;

    /** {@link #wsSendBuffer}'s default: 128 KiB. */
    public static final int DEFAULT_WS_SEND_BUFFER_BYTES = 128 * 1024;

    /** {@link #wsStallTimeout}'s default. */
    public static final Duration DEFAULT_WS_STALL_TIMEOUT = Duration.ofSeconds(30);

    /** {@link #wsIdleTimeout}'s default. */
    public static final Duration DEFAULT_WS_IDLE_TIMEOUT = Duration.ofMinutes(2);

    /**
     * {@link #wsIdleTimeout}'s least value: twice the 15 s at which the server pings every live
     * socket, so that a quiet client is never closed between two pings, nor for one late ping.
     */
    public static final Duration MIN_WS_IDLE_TIMEOUT = Duration.ofSeconds(30);

    /** {@link #wsCompression}'s default: off (see the module README for the measurements). */
    public static final boolean DEFAULT_WS_COMPRESSION = false;

    /** {@link #maxMergedChanges}'s default. */
    public static final int DEFAULT_MAX_MERGED_CHANGES = 1000;

    /** {@link #maxConnectionsPerIp}'s default. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 64;

    /** {@link #readyTimeout}'s default. */
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(2);

    /** {@link #bodyTimeout}'s default. */
    public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(5);

    /** {@link #presenceLease}'s default. */
    public static final Duration DEFAULT_PRESENCE_LEASE = Duration.ofSeconds(15);

    /** {@link #shutdownGrace}'s default. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);

    private final Chord.Builder chord = Chord.builder();
    private Backend backend = InMemoryBackend.create();
    private String backendName = "memory";
    private boolean metrics = true;
    private String metricsToken;
    private boolean accessLog;
    private Duration readyTimeout = DEFAULT_READY_TIMEOUT;
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private Path storeDir;
    private @Nullable ContextExporter storeExporter;
    private @Nullable ContextProvider storeProvider;
    private @Nullable AutoCloseable storeResource;
    private boolean tiered;
    private String authSecret;
    private Clock clock = Clock.systemUTC();
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int maxJsonDepth = DEFAULT_MAX_JSON_DEPTH;
    private int maxIdLength = DEFAULT_MAX_ID_LENGTH;
    private int wsMaxMessageBytes = DEFAULT_WS_MAX_MESSAGE_BYTES;
    private int wsQueueLimit = DEFAULT_WS_QUEUE_LIMIT;
    private int wsSendBufferBytes = DEFAULT_WS_SEND_BUFFER_BYTES;
    private Duration wsStallTimeout = DEFAULT_WS_STALL_TIMEOUT;
    private Duration wsIdleTimeout = DEFAULT_WS_IDLE_TIMEOUT;
    private boolean wsCompression = DEFAULT_WS_COMPRESSION;
    private int maxMergedChanges = DEFAULT_MAX_MERGED_CHANGES;
    private int maxConnectionsPerIp = DEFAULT_MAX_CONNECTIONS_PER_IP;
    private Duration bodyTimeout = DEFAULT_BODY_TIMEOUT;
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
    private Duration presenceLease = DEFAULT_PRESENCE_LEASE;
    private List<String> allowedOrigins = List.of();
    private List<String> allowedHosts;

    private Builder() {
      chord.backend(backend);
    }

    /**
     * Where contexts are stored (default: a new in-memory backend); the server closes it. See
     * {@link Chord.Builder#backend}.
     *
     * @param name shown by {@code GET /health}, such as {@code redis}
     */
    public Builder backend(Backend backend, String name) {
      Objects.requireNonNull(name, "name");
      chord.backend(backend);
      this.backend = backend;
      this.backendName = name;
      return this;
    }

    /** The address to bind (default {@value #DEFAULT_HOST}: this machine only). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port (default {@value #DEFAULT_PORT}; 0 picks a free one, see {@link #port()}). */
    public Builder port(int port) {
      this.port = range(port, 0, 65535, "port");
      return this;
    }

    /** See {@link Chord.Builder#deltaThreshold}, which checks it and holds its default. */
    public Builder deltaThreshold(int deltas) {
      chord.deltaThreshold(deltas);
      return this;
    }

    /** See {@link Chord.Builder#deltaTtl}, which checks it and holds its default. */
    public Builder deltaTtl(Duration ttl) {
      chord.deltaTtl(ttl);
      return this;
    }

    /**
     * Deletes contexts not changed for this long, at cleanup (default: keep them): {@link
     * Chord.Builder#contextTtl} with {@link Chord.Builder#contextAutoDelete} on.
     */
    public Builder contextTtl(Duration ttl) {
      chord.contextTtl(ttl).contextAutoDelete(true);
      return this;
    }

    /**
     * Runs cleanup this often (default: only on {@code POST /admin/cleanup}). See {@link
     * Chord.Builder#cleanupInterval}.
     */
    public Builder cleanupInterval(Duration interval) {
      chord.cleanupInterval(interval);
      return this;
    }

    /**
     * The directory that export writes to and restore reads from (default: none, 501): a {@link
     * FileContextStore}. It becomes the Chord's exporter and provider at {@link #start()},
     * replacing any set through {@link #chord(Consumer)}.
     */
    public Builder storeDir(Path dir) {
      this.storeDir = Objects.requireNonNull(dir, "dir");
      this.storeExporter = null;
      this.storeProvider = null;
      return this;
    }

    /**
     * The store that export writes to and restore reads from (default: none, 501), such as a {@code
     * JdbcContextStore}: the Chord's exporter and provider at {@link #start()}, replacing a {@link
     * #storeDir} and any set through {@link #chord(Consumer)}. {@code resource} (its connection
     * pool, say) is closed when the server closes, after the Chord's last exports; {@code null}:
     * nothing to close.
     */
    public <S extends ContextExporter & ContextProvider> Builder store(
        S store, @Nullable AutoCloseable resource) {
      this.storeExporter = Objects.requireNonNull(store, "store");
      this.storeProvider = store;
      this.storeResource = resource;
      this.storeDir = null;
      return this;
    }

    /**
     * Exports every changed context to the store within {@code maxDelay} (write-behind, default:
     * off) and restores a context absent from the backend from the store on its next access. Needs
     * a store ({@link #storeDir}, {@link #store}, or an exporter and provider set through {@link
     * #chord(Consumer)}). See {@link Chord.Builder#exportOnChange} and {@link
     * Chord.Builder#restoreOnMiss}.
     *
     * @throws IllegalArgumentException if {@code maxDelay} is not positive
     */
    public Builder exportDelay(Duration maxDelay) {
      chord.exportOnChange(maxDelay);
      this.tiered = true;
      return this;
    }

    /**
     * Moves contexts unchanged for {@code idle} out of the backend into the store at cleanup
     * (default: off); they come back, at their epoch, on their next access. Needs a store, like
     * {@link #exportDelay}. See {@link Chord.Builder#evictAfter}.
     *
     * @throws IllegalArgumentException if {@code idle} is not positive
     */
    public Builder evictAfter(Duration idle) {
      chord.evictAfter(idle);
      this.tiered = true;
      return this;
    }

    /**
     * Requires bearer tokens signed with this secret (default: none, the server is open).
     *
     * @throws IllegalArgumentException if shorter than {@value Tokens#MIN_SECRET_LENGTH} chars
     */
    public Builder authSecret(String secret) {
      Tokens.key(secret);
      this.authSecret = secret;
      return this;
    }

    /**
     * The time source (default: system clock) for token expiry and for the Chord: {@code
     * insertedAt} and TTLs, see {@link Chord.Builder#clock}.
     */
    public Builder clock(Clock clock) {
      chord.clock(clock);
      this.clock = clock;
      return this;
    }

    /**
     * Any other setting of the {@link Chord} this server serves, such as {@link
     * Chord.Builder#timeUnit}, {@link Chord.Builder#listener} or {@link
     * Chord.Builder#cleanupScheduler}; its checks and defaults apply. Give the backend through
     * {@link #backend(Backend, String)}, so that {@code GET /health} names it, {@code GET
     * /health/ready} reads it and its gauges are exported.
     *
     * <pre>{@code
     * ChordServer.builder().chord(c -> c.timeUnit(ChronoUnit.MILLIS)).start();
     * }</pre>
     */
    public Builder chord(Consumer<Chord.Builder> settings) {
      settings.accept(chord);
      return this;
    }

    /**
     * Whether {@code GET /metrics} serves Prometheus metrics (default on): the Chord meters, JVM
     * and process meters, HTTP request timers and the live path's meters. Off, no meter is kept.
     */
    public Builder metrics(boolean enabled) {
      this.metrics = enabled;
      return this;
    }

    /**
     * The bearer token a scraper sends to {@code GET /metrics} (default: none: on a server with
     * auth on, a token with the admin right on every context; on an open server, no token). Once
     * set, it is needed whether auth is on or not.
     *
     * @throws IllegalArgumentException if shorter than {@value Tokens#MIN_SECRET_LENGTH} chars
     */
    public Builder metricsToken(String token) {
      Objects.requireNonNull(token, "token");
      if (token.length() < Tokens.MIN_SECRET_LENGTH) {
        throw new IllegalArgumentException(
            "metricsToken must be at least "
                + Tokens.MIN_SECRET_LENGTH
                + " chars, was "
                + token.length());
      }
      this.metricsToken = token;
      return this;
    }

    /**
     * Logs one INFO line per request to the logger {@value RequestLog#ACCESS_LOGGER} (default off;
     * failed requests get a WARN line either way).
     */
    public Builder accessLog(boolean enabled) {
      this.accessLog = enabled;
      return this;
    }

    /**
     * How long {@code GET /health/ready} waits for the backend to answer a read before it answers
     * 503 (default 2 s).
     */
    public Builder readyTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("readyTimeout must be positive, was " + timeout);
      }
      this.readyTimeout = timeout;
      return this;
    }

    /** The largest request body, in bytes (default 1 MiB); larger ones get 413. */
    public Builder maxBodyBytes(int bytes) {
      this.maxBodyBytes = range(bytes, 2, Integer.MAX_VALUE - 1, "maxBodyBytes");
      return this;
    }

    /**
     * The deepest JSON nesting accepted in a body (default {@value #DEFAULT_MAX_JSON_DEPTH}, at
     * most {@value dev.chord.spi.Snapshots#MAX_DEPTH}); deeper gets 400.
     */
    public Builder maxJsonDepth(int depth) {
      this.maxJsonDepth = range(depth, 1, Snapshots.MAX_DEPTH, "maxJsonDepth");
      return this;
    }

    /**
     * The longest context id accepted (default {@value #DEFAULT_MAX_ID_LENGTH}, at most {@value
     * Chord#MAX_CONTEXT_ID_LENGTH}); longer gets 400.
     */
    public Builder maxIdLength(int chars) {
      this.maxIdLength = range(chars, 1, Chord.MAX_CONTEXT_ID_LENGTH, "maxIdLength");
      return this;
    }

    /** The largest message a WebSocket client may send (default 4 KiB); larger closes it. */
    public Builder wsMaxMessageBytes(int bytes) {
      this.wsMaxMessageBytes = range(bytes, 16, Integer.MAX_VALUE, "wsMaxMessageBytes");
      return this;
    }

    /**
     * Messages queued per live connection before they are merged (default {@value
     * #DEFAULT_WS_QUEUE_LIMIT}).
     */
    public Builder wsQueueLimit(int messages) {
      this.wsQueueLimit = range(messages, 1, 1_000_000, "wsQueueLimit");
      return this;
    }

    /**
     * The most the kernel may hold for one live socket, in bytes (default 128 KiB): what a client
     * that stopped reading costs in kernel memory before the server's own bounded queue takes over.
     * Set as the socket's {@code SO_SNDBUF} at half this value, since Linux reserves twice what is
     * asked (and caps it at twice {@code net.core.wmem_max}). Without a cap Linux grows a socket's
     * buffer up to {@code net.ipv4.tcp_wmem}'s maximum, 4 MiB by default. Plain HTTP sockets are
     * not affected.
     *
     * @throws IllegalArgumentException unless between 4 KiB and 16 MiB
     */
    public Builder wsSendBuffer(int bytes) {
      this.wsSendBufferBytes = range(bytes, 4096, 16 * 1024 * 1024, "wsSendBuffer");
      return this;
    }

    /**
     * How long a message to a live client may stay unwritten (the client stopped reading, so the
     * kernel's send buffer is full) before the server closes the socket with 4408 {@code stalled}
     * (default 30 s); the connection is dropped if the close frame is not taken within 5 s. The
     * client reconnects from its epoch and version. Counted in {@code chord.live.closed{reason=
     * "stalled"}} and logged at INFO.
     *
     * @throws IllegalArgumentException unless between 100 ms and 1 hour
     */
    public Builder wsStallTimeout(Duration timeout) {
      this.wsStallTimeout =
          between(timeout, Duration.ofMillis(100), Duration.ofHours(1), "wsStallTimeout");
      return this;
    }

    /**
     * How long a live socket may see no traffic in either direction before it is closed (default 2
     * min; Jetty's idle timeout). The server pings every live socket every 15 s, and its own pings
     * count as traffic as long as the kernel takes them, so only a socket whose send buffer stayed
     * full that long reaches it. Counted as {@code reason="idle"}.
     *
     * @throws IllegalArgumentException unless between {@link #MIN_WS_IDLE_TIMEOUT} and 1 day
     */
    public Builder wsIdleTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "wsIdleTimeout");
      if (timeout.compareTo(MIN_WS_IDLE_TIMEOUT) < 0) {
        throw new IllegalArgumentException(
            "wsIdleTimeout must be at least "
                + Main.DurationConverter.format(MIN_WS_IDLE_TIMEOUT)
                + ", twice the 15s between the server's pings, or quiet clients are closed"
                + " between two pings; was "
                + Main.DurationConverter.format(timeout));
      }
      this.wsIdleTimeout =
          between(timeout, MIN_WS_IDLE_TIMEOUT, Duration.ofDays(1), "wsIdleTimeout");
      return this;
    }

    /**
     * Whether live sockets may use {@code permessage-deflate} when the client offers it (default
     * off). On, the server compresses each message on its own ({@code server_no_context_takeover},
     * answered whatever the client offered), so an idle connection holds no deflater; off, the
     * extension is not negotiated. The module README has the bytes saved and the memory per
     * connection measured either way.
     */
    public Builder wsCompression(boolean on) {
      this.wsCompression = on;
      return this;
    }

    /**
     * The most changes a merged patch may have before a full context replaces it (default {@value
     * #DEFAULT_MAX_MERGED_CHANGES}).
     */
    public Builder maxMergedChanges(int changes) {
      this.maxMergedChanges = range(changes, 1, Integer.MAX_VALUE, "maxMergedChanges");
      return this;
    }

    /**
     * Live connections allowed per client address (default {@value
     * #DEFAULT_MAX_CONNECTIONS_PER_IP}); more get 429.
     */
    public Builder maxConnectionsPerIp(int connections) {
      this.maxConnectionsPerIp = range(connections, 1, Integer.MAX_VALUE, "maxConnectionsPerIp");
      return this;
    }

    /**
     * How long a request body may take to arrive, from the end of its headers (default 5 s); a body
     * not complete by then gets 408 {@code request_timeout}. Bodies are read as they arrive,
     * without holding a thread, so a slow client costs a connection, never a request thread.
     *
     * @throws IllegalArgumentException unless between 1 ms and 1 hour
     */
    public Builder bodyTimeout(Duration timeout) {
      this.bodyTimeout = between(timeout, Duration.ofMillis(1), Duration.ofHours(1), "bodyTimeout");
      return this;
    }

    /**
     * How long {@link ChordServer#close()} (and SIGTERM, for the command line) waits for live
     * sockets to take their close frame and requests in flight to finish before it cuts them off
     * (default 10 s).
     *
     * @throws IllegalArgumentException unless between 0 and 1 hour
     */
    public Builder shutdownGrace(Duration grace) {
      this.shutdownGrace = between(grace, Duration.ZERO, Duration.ofHours(1), "shutdownGrace");
      return this;
    }

    /**
     * The lease of this node's presence entries (default 15 s): renewed every third of it while the
     * node runs; when a node dies, the other nodes on the same backend remove its live connections'
     * presence within a lease and a third of its last renewal.
     *
     * @throws IllegalArgumentException unless between 300 ms and 1 hour
     */
    public Builder presenceLease(Duration lease) {
      this.presenceLease =
          between(lease, Duration.ofMillis(300), Duration.ofHours(1), "presenceLease");
      return this;
    }

    /**
     * Web origins, other than the server's own, whose pages may use it from a browser (default:
     * none): exact origins such as {@code https://app.example.com}, or {@code *} for every one. A
     * WebSocket upgrade from any other origin gets 403 {@code forbidden_origin}, and so does a
     * request that changes something; the HTTP API answers CORS for these origins only. Clients
     * that send no {@code Origin} (not browsers) are not affected.
     *
     * @throws IllegalArgumentException for an entry that is neither {@code *} nor an http(s) origin
     */
    public Builder allowedOrigins(Collection<String> origins) {
      Origins.hosts(origins);
      this.allowedOrigins = List.copyOf(origins);
      return this;
    }

    /**
     * Host names, besides {@code localhost}, {@code 127.0.0.1}, {@code [::1]}, a specific bind
     * address and the hosts of the {@link #allowedOrigins}, that this server answers to: {@code
     * host} (any port), {@code host:port}, {@code [v6]:port}, or {@code *} for any. Every request,
     * WebSocket upgrades included, must name one in its {@code Host} header, or it gets 421 {@code
     * misdirected_host} and nothing is done: a web page whose name is re-bound to this machine (DNS
     * rebinding) looks same-origin otherwise. Default: none, except that a server bound to a
     * wildcard address ({@code 0.0.0.0}, {@code ::}) then answers to any name and warns at start
     * that this protection is off.
     *
     * @throws IllegalArgumentException for an entry that is none of those forms
     */
    public Builder allowedHosts(Collection<String> hosts) {
      Hosts.entries(hosts);
      this.allowedHosts = List.copyOf(hosts);
      return this;
    }

    /**
     * Starts the server.
     *
     * @throws io.javalin.util.JavalinBindException if the port is taken
     */
    public ChordServer start() {
      return new ChordServer(this);
    }

    private static Duration between(Duration value, Duration min, Duration max, String name) {
      Objects.requireNonNull(value, name);
      if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
        throw new IllegalArgumentException(
            name
                + " must be between "
                + Main.DurationConverter.format(min)
                + " and "
                + Main.DurationConverter.format(max)
                + ", was "
                + Main.DurationConverter.format(value));
      }
      return value;
    }

    private static int range(int value, int min, int max, String name) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(
            name + " must be between " + min + " and " + max + ", was " + value);
      }
      return value;
    }
  }
}
