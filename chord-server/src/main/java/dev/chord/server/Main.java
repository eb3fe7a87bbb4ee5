package dev.chord.server;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.chord.BackendException;
import dev.chord.Chord;
import dev.chord.jdbc.JdbcContextStore;
import dev.chord.jdbc.PostgresBackend;
import dev.chord.redis.RedisBackend;
import dev.chord.spi.Backend;
import dev.chord.spi.ForwardingBackend;
import dev.chord.spi.Snapshots;
import io.javalin.util.JavalinBindException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.ListResourceBundle;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.ResourceBundle;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line: {@code chord-server [options]} serves, {@code chord-server token …} mints a
 * bearer token. Every serve option can also come from an environment variable ({@code CHORD_PORT},
 * {@code CHORD_HOST}, …); the command line wins.
 *
 * <p>Defaults: an option given neither way is not passed on, so the default of {@link
 * ChordServer.Builder} or {@link Chord.Builder} applies, and those builders check every value. Only
 * what is the command line's own ({@code --backend}, {@code --redis-uri}, {@code
 * --cleanup-interval}) has its default here.
 */
@Command(
    name = "chord-server",
    mixinStandardHelpOptions = true,
    version = "chord-server 0.1.0",
    description = "Serves Chord contexts over HTTP and WebSocket, with a live demo at /.",
    subcommands = {Main.TokenCommand.class},
    sortOptions = false)
public final class Main implements Callable<Integer> {
  @Option(
      names = "--host",
      defaultValue = "${env:CHORD_HOST}",
      description = "Address to bind (env CHORD_HOST; default ${bundle:default.host}).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "${env:CHORD_PORT}",
      description = "Port (env CHORD_PORT; default ${bundle:default.port}; 0 picks a free one).")
  Integer port;

  @Option(
      names = "--backend",
      defaultValue = "${env:CHORD_BACKEND:-memory}",
      description =
          "memory, redis, redis-cluster or postgres (env CHORD_BACKEND; default"
              + " ${DEFAULT-VALUE}).")
  String backend;

  @Option(
      names = "--redis-uri",
      defaultValue = "${env:CHORD_REDIS_URI:-redis://127.0.0.1:6379}",
      description =
          "Redis URI for --backend redis; comma-separated seed URIs for redis-cluster (env"
              + " CHORD_REDIS_URI; default ${DEFAULT-VALUE}).")
  String redisUri;

  @Option(
      names = "--jdbc-url",
      defaultValue = "${env:CHORD_JDBC_URL}",
      description =
          "PostgreSQL JDBC URL for --backend postgres and --store postgres, such as"
              + " jdbc:postgresql://127.0.0.1:5432/chord (env CHORD_JDBC_URL).")
  String jdbcUrl;

  @Option(
      names = "--jdbc-user",
      defaultValue = "${env:CHORD_JDBC_USER}",
      description =
          "PostgreSQL user for --backend postgres and --store postgres (env CHORD_JDBC_USER).")
  String jdbcUser;

  @Option(
      names = "--jdbc-password-env",
      defaultValue = "CHORD_JDBC_PASSWORD",
      description =
          "The environment variable holding the PostgreSQL password, so that it is never on the"
              + " command line (default ${DEFAULT-VALUE}; unset: no password).")
  String jdbcPasswordEnv;

  @Option(
      names = "--delta-threshold",
      defaultValue = "${env:CHORD_DELTA_THRESHOLD}",
      description =
          "Deltas kept per context (env CHORD_DELTA_THRESHOLD; default"
              + " ${bundle:default.delta-threshold}).")
  Integer deltaThreshold;

  @Option(
      names = "--delta-ttl",
      defaultValue = "${env:CHORD_DELTA_TTL}",
      converter = DurationConverter.class,
      description =
          "How long deltas are kept, e.g. 90s, 15m, 24h, 7d (env CHORD_DELTA_TTL; default"
              + " ${bundle:default.delta-ttl}).")
  Duration deltaTtl;

  @Option(
      names = "--context-ttl",
      defaultValue = "${env:CHORD_CONTEXT_TTL}",
      converter = DurationConverter.class,
      description =
          "Delete contexts unchanged for this long, at cleanup (env CHORD_CONTEXT_TTL; default:"
              + " keep).")
  Duration contextTtl;

  // The command line's own default: a served process cleans up by itself, an embedder decides.
  @Option(
      names = "--cleanup-interval",
      defaultValue = "${env:CHORD_CLEANUP_INTERVAL:-10m}",
      converter = DurationConverter.class,
      description =
          "Run cleanup this often (env CHORD_CLEANUP_INTERVAL; default ${DEFAULT-VALUE}).")
  Duration cleanupInterval;

  @Option(
      names = "--store",
      defaultValue = "${env:CHORD_STORE}",
      description =
          "Where contexts are exported to and restored from: dir (a FileContextStore in"
              + " --store-dir) or postgres (a JdbcContextStore, table chord_exports, on --jdbc-url)"
              + " (env CHORD_STORE; default: dir if --store-dir is given, else none).")
  String store;

  @Option(
      names = "--export-delay",
      defaultValue = "${env:CHORD_EXPORT_DELAY}",
      converter = DurationConverter.class,
      description =
          "Export every changed context to the store within this long, e.g. 2s, and restore"
              + " absent contexts from it on access (env CHORD_EXPORT_DELAY; default: off).")
  Duration exportDelay;

  @Option(
      names = "--evict-after",
      defaultValue = "${env:CHORD_EVICT_AFTER}",
      converter = DurationConverter.class,
      description =
          "Move contexts unchanged this long, e.g. 1h, from the backend to the store at cleanup;"
              + " they come back on access (env CHORD_EVICT_AFTER; default: off).")
  Duration evictAfter;

  @Option(
      names = "--store-dir",
      defaultValue = "${env:CHORD_STORE_DIR}",
      description =
          "Directory for export/restore (env CHORD_STORE_DIR; default: none, export/restore answer"
              + " 501).")
  Path storeDir;

  @Option(
      names = "--auth-secret",
      defaultValue = "${env:CHORD_AUTH_SECRET}",
      description =
          "Require bearer tokens signed with this secret, ≥ "
              + Tokens.MIN_SECRET_LENGTH
              + " chars (env CHORD_AUTH_SECRET; default: none, open).")
  String authSecret;

  @Option(
      names = "--max-body-bytes",
      defaultValue = "${env:CHORD_MAX_BODY_BYTES}",
      description =
          "Largest request body (env CHORD_MAX_BODY_BYTES; default"
              + " ${bundle:default.max-body-bytes}).")
  Integer maxBodyBytes;

  @Option(
      names = "--max-json-depth",
      defaultValue = "${env:CHORD_MAX_JSON_DEPTH}",
      description =
          "Deepest JSON nesting, ≤ "
              + Snapshots.MAX_DEPTH
              + " (env CHORD_MAX_JSON_DEPTH; default ${bundle:default.max-json-depth}).")
  Integer maxJsonDepth;

  @Option(
      names = "--max-id-length",
      defaultValue = "${env:CHORD_MAX_ID_LENGTH}",
      description =
          "Longest context id, ≤ "
              + Chord.MAX_CONTEXT_ID_LENGTH
              + " (env CHORD_MAX_ID_LENGTH; default ${bundle:default.max-id-length}).")
  Integer maxIdLength;

  @Option(
      names = "--ws-max-message-bytes",
      defaultValue = "${env:CHORD_WS_MAX_MESSAGE_BYTES}",
      description =
          "Largest WebSocket message a client may send (env CHORD_WS_MAX_MESSAGE_BYTES; default"
              + " ${bundle:default.ws-max-message-bytes}).")
  Integer wsMaxMessageBytes;

  @Option(
      names = "--ws-queue",
      defaultValue = "${env:CHORD_WS_QUEUE}",
      description =
          "Messages queued per live connection before merging (env CHORD_WS_QUEUE; default"
              + " ${bundle:default.ws-queue}).")
  Integer wsQueue;

  @Option(
      names = "--ws-send-buffer",
      defaultValue = "${env:CHORD_WS_SEND_BUFFER}",
      description =
          "The most the kernel holds for each live socket, in bytes (its SO_SNDBUF is set to half:"
              + " Linux doubles it): what a client that stopped reading can hold in the kernel"
              + " (env CHORD_WS_SEND_BUFFER; default"
              + " ${bundle:default.ws-send-buffer}).")
  Integer wsSendBuffer;

  @Option(
      names = "--ws-stall-timeout",
      defaultValue = "${env:CHORD_WS_STALL_TIMEOUT}",
      converter = DurationConverter.class,
      description =
          "Close a live socket (4408 stalled) whose message stayed unwritten this long (env"
              + " CHORD_WS_STALL_TIMEOUT; default ${bundle:default.ws-stall-timeout}).")
  Duration wsStallTimeout;

  @Option(
      names = "--ws-idle-timeout",
      defaultValue = "${env:CHORD_WS_IDLE_TIMEOUT}",
      converter = DurationConverter.class,
      description =
          "Close a live socket with no traffic either way for this long (env"
              + " CHORD_WS_IDLE_TIMEOUT; default ${bundle:default.ws-idle-timeout}).")
  Duration wsIdleTimeout;

  @Option(
      names = "--ws-compression",
      defaultValue = "${env:CHORD_WS_COMPRESSION}",
      converter = OnOffConverter.class,
      description =
          "off|on: negotiate permessage-deflate (without server context takeover) with clients"
              + " that offer it (env CHORD_WS_COMPRESSION; default"
              + " ${bundle:default.ws-compression}).")
  OnOff wsCompression;

  @Option(
      names = "--max-merged-changes",
      defaultValue = "${env:CHORD_MAX_MERGED_CHANGES}",
      description =
          "Changes in a merged patch before a full context is sent instead (env"
              + " CHORD_MAX_MERGED_CHANGES; default ${bundle:default.max-merged-changes}).")
  Integer maxMergedChanges;

  @Option(
      names = "--max-connections-per-ip",
      defaultValue = "${env:CHORD_MAX_CONNECTIONS_PER_IP}",
      description =
          "Live connections per client address (env CHORD_MAX_CONNECTIONS_PER_IP; default"
              + " ${bundle:default.max-connections-per-ip}).")
  Integer maxConnectionsPerIp;

  @Option(
      names = "--body-timeout",
      defaultValue = "${env:CHORD_BODY_TIMEOUT}",
      converter = DurationConverter.class,
      description =
          "How long a request body may take to arrive; slower gets 408 (env CHORD_BODY_TIMEOUT;"
              + " default ${bundle:default.body-timeout}).")
  Duration bodyTimeout;

  @Option(
      names = "--shutdown-grace",
      defaultValue = "${env:CHORD_SHUTDOWN_GRACE}",
      converter = DurationConverter.class,
      description =
          "On SIGTERM, how long live sockets and requests in flight get to finish (env"
              + " CHORD_SHUTDOWN_GRACE; default ${bundle:default.shutdown-grace}).")
  Duration shutdownGrace;

  @Option(
      names = "--allowed-origins",
      split = ",",
      defaultValue = "${env:CHORD_ALLOWED_ORIGINS}",
      description =
          "Comma-separated web origins (https://app.example.com) or * whose pages may use this"
              + " server from a browser: WebSocket upgrades and CORS (env CHORD_ALLOWED_ORIGINS;"
              + " default: the server's own origin only).")
  List<String> allowedOrigins;

  @Option(
      names = "--allowed-hosts",
      split = ",",
      defaultValue = "${env:CHORD_ALLOWED_HOSTS}",
      description =
          "Comma-separated host names (chord.example.com, host:port, [v6]:port) or * that this"
              + " server answers to besides localhost, 127.0.0.1, [::1], the bind address and the"
              + " hosts of --allowed-origins; any other Host gets 421 (DNS-rebinding protection)"
              + " (env CHORD_ALLOWED_HOSTS; default: none more, or any name when bound to 0.0.0.0"
              + " or ::).")
  List<String> allowedHosts;

  @Option(
      names = "--metrics",
      negatable = true,
      defaultValue = "${env:CHORD_METRICS:-true}",
      fallbackValue = "true",
      description =
          "Serve Prometheus metrics at GET /metrics; --no-metrics or --metrics=false turns them off"
              + " (env CHORD_METRICS; default ${DEFAULT-VALUE}).")
  boolean metrics;

  @Option(
      names = "--metrics-token",
      defaultValue = "${env:CHORD_METRICS_TOKEN}",
      description =
          "Bearer token scrapers send to GET /metrics, ≥ "
              + Tokens.MIN_SECRET_LENGTH
              + " chars (env CHORD_METRICS_TOKEN; default: none: with --auth-secret an admin"
              + " token, else open).")
  String metricsToken;

  @Option(
      names = "--access-log",
      negatable = true,
      defaultValue = "${env:CHORD_ACCESS_LOG:-false}",
      fallbackValue = "true",
      description =
          "Log one INFO line per request to logger "
              + RequestLog.ACCESS_LOGGER
              + " (env CHORD_ACCESS_LOG; default ${DEFAULT-VALUE}).")
  boolean accessLog;

  @Option(
      names = "--ready-timeout",
      defaultValue = "${env:CHORD_READY_TIMEOUT}",
      converter = DurationConverter.class,
      description =
          "How long GET /health/ready waits for the backend (env CHORD_READY_TIMEOUT; default"
              + " ${bundle:default.ready-timeout}).")
  Duration readyTimeout;

  /** Runs the command line; exits with its status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main()).setResourceBundle(shownDefaults());
  }

  /**
   * What {@code ${bundle:default.…}} in the option descriptions shows: each builder's default, read
   * from the builder. (picocli's annotations take compile-time constants only, and a {@code
   * Duration} is none.)
   */
  static ResourceBundle shownDefaults() {
    Map<String, Object> shown =
        Map.ofEntries(
            Map.entry("default.host", ChordServer.Builder.DEFAULT_HOST),
            Map.entry("default.port", ChordServer.Builder.DEFAULT_PORT),
            Map.entry("default.delta-threshold", Chord.Builder.DEFAULT_DELTA_THRESHOLD),
            Map.entry(
                "default.delta-ttl", DurationConverter.format(Chord.Builder.DEFAULT_DELTA_TTL)),
            Map.entry("default.max-body-bytes", ChordServer.Builder.DEFAULT_MAX_BODY_BYTES),
            Map.entry("default.max-json-depth", ChordServer.Builder.DEFAULT_MAX_JSON_DEPTH),
            Map.entry("default.max-id-length", ChordServer.Builder.DEFAULT_MAX_ID_LENGTH),
            Map.entry(
                "default.ws-max-message-bytes", ChordServer.Builder.DEFAULT_WS_MAX_MESSAGE_BYTES),
            Map.entry("default.ws-queue", ChordServer.Builder.DEFAULT_WS_QUEUE_LIMIT),
            Map.entry("default.max-merged-changes", ChordServer.Builder.DEFAULT_MAX_MERGED_CHANGES),
            Map.entry("default.ws-send-buffer", ChordServer.Builder.DEFAULT_WS_SEND_BUFFER_BYTES),
            Map.entry(
                "default.ws-stall-timeout",
                DurationConverter.format(ChordServer.Builder.DEFAULT_WS_STALL_TIMEOUT)),
            Map.entry(
                "default.ws-idle-timeout",
                DurationConverter.format(ChordServer.Builder.DEFAULT_WS_IDLE_TIMEOUT)),
            Map.entry(
                "default.ws-compression", OnOff.format(ChordServer.Builder.DEFAULT_WS_COMPRESSION)),
            Map.entry(
                "default.ready-timeout",
                DurationConverter.format(ChordServer.Builder.DEFAULT_READY_TIMEOUT)),
            Map.entry(
                "default.max-connections-per-ip",
                ChordServer.Builder.DEFAULT_MAX_CONNECTIONS_PER_IP),
            Map.entry(
                "default.body-timeout",
                DurationConverter.format(ChordServer.Builder.DEFAULT_BODY_TIMEOUT)),
            Map.entry(
                "default.shutdown-grace",
                DurationConverter.format(ChordServer.Builder.DEFAULT_SHUTDOWN_GRACE)));
    return new ListResourceBundle() {
      @Override
      protected Object[][] getContents() {
        return shown.entrySet().stream()
            .map(e -> new Object[] {e.getKey(), String.valueOf(e.getValue())})
            .toArray(Object[][]::new);
      }
    };
  }

  /** Serves until the process is stopped. */
  @Override
  public Integer call() throws InterruptedException {
    ChordServer server;
    try {
      server = builder().start();
    } catch (BackendException
        | JavalinBindException
        | IllegalArgumentException
        | java.io.UncheckedIOException e) {
      System.err.println("chord-server: " + e.getMessage());
      return 1;
    }
    System.out.println("Chord server on " + server.url() + "  (demo: " + server.url() + "/ )");
    CountDownLatch stop = new CountDownLatch(1);
    // SIGTERM and SIGINT end the wait below, and the server shuts down gracefully; the process
    // then exits with 0, as a service manager expects of a clean stop (a JVM ended by the signal
    // itself exits with 143). Any other way the JVM ends still closes the server (close() is
    // idempotent).
    for (String name : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop.countDown());
    }
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "chord-shutdown"));
    stop.await();
    System.out.println("chord-server: shutting down");
    server.close();
    System.out.println("chord-server: stopped");
    return 0;
  }

  /**
   * {@code --store}, {@code --store-dir}, {@code --export-delay}, {@code --evict-after}.
   *
   * @throws IllegalArgumentException for an unknown store, or tiering without a store
   */
  private void storeOptions(ChordServer.Builder b) {
    String kind = storeKind();
    if (kind != null && !kind.equals("dir") && !kind.equals("postgres")) {
      throw new IllegalArgumentException("--store must be dir or postgres, was '" + kind + "'");
    }
    if ("dir".equals(kind)) {
      if (storeDir == null) {
        throw new IllegalArgumentException("--store dir needs --store-dir DIR");
      }
      b.storeDir(storeDir);
    }
    if ("postgres".equals(kind) && (jdbcUrl == null || jdbcUrl.isBlank())) {
      throw new IllegalArgumentException("--store postgres needs --jdbc-url (or CHORD_JDBC_URL)");
    }
    if (kind == null && (exportDelay != null || evictAfter != null)) {
      throw new IllegalArgumentException(
          (exportDelay != null ? "--export-delay" : "--evict-after")
              + " needs a store: --store dir --store-dir DIR, or --store postgres");
    }
    set(exportDelay, b::exportDelay);
    set(evictAfter, b::evictAfter);
  }

  /** {@code --store}, or dir when only {@code --store-dir} is given; {@code null}: none. */
  private @Nullable String storeKind() {
    if (store == null || store.isBlank()) {
      return storeDir != null ? "dir" : null;
    }
    return store.toLowerCase(Locale.ROOT);
  }

  /**
   * A {@link JdbcContextStore} (table {@link JdbcContextStore#DEFAULT_TABLE}, created if missing)
   * on a pool of its own of {@code --jdbc-url}, which the server closes when it closes.
   */
  private void postgresStore(ChordServer.Builder b) {
    HikariDataSource pool = pool("chord-store");
    JdbcContextStore jdbcStore = JdbcContextStore.create(pool);
    try {
      jdbcStore.createSchema();
    } catch (BackendException e) {
      pool.close();
      throw e;
    }
    b.store(jdbcStore, pool);
  }

  /** The server these options describe, not yet started; an absent option is not passed on. */
  ChordServer.Builder builder() {
    ChordServer.Builder b = ChordServer.builder();
    set(host, b::host);
    set(port, b::port);
    set(deltaThreshold, b::deltaThreshold);
    set(deltaTtl, b::deltaTtl);
    set(contextTtl, b::contextTtl);
    set(cleanupInterval, b::cleanupInterval);
    storeOptions(b);
    set(maxBodyBytes, b::maxBodyBytes);
    set(maxJsonDepth, b::maxJsonDepth);
    set(maxIdLength, b::maxIdLength);
    set(wsMaxMessageBytes, b::wsMaxMessageBytes);
    set(wsQueue, b::wsQueueLimit);
    set(maxMergedChanges, b::maxMergedChanges);
    set(wsSendBuffer, b::wsSendBuffer);
    set(wsStallTimeout, b::wsStallTimeout);
    set(wsIdleTimeout, b::wsIdleTimeout);
    set(wsCompression == null ? null : wsCompression.on(), b::wsCompression);
    set(maxConnectionsPerIp, b::maxConnectionsPerIp);
    set(readyTimeout, b::readyTimeout);
    b.metrics(metrics).accessLog(accessLog);
    if (metricsToken != null && !metricsToken.isEmpty()) {
      b.metricsToken(metricsToken);
    }
    set(bodyTimeout, b::bodyTimeout);
    set(shutdownGrace, b::shutdownGrace);
    if (authSecret != null && !authSecret.isEmpty()) {
      b.authSecret(authSecret);
    }
    if (allowedOrigins != null) {
      b.allowedOrigins(allowedOrigins.stream().filter(o -> !o.isBlank()).toList());
    }
    // Blank (an empty CHORD_ALLOWED_HOSTS) is not given: on a wildcard address, any name.
    List<String> hostNames =
        allowedHosts == null ? List.of() : allowedHosts.stream().filter(h -> !h.isBlank()).toList();
    if (!hostNames.isEmpty()) {
      b.allowedHosts(hostNames);
    }
    // Last: a connection is opened only once every other value has passed its check.
    switch (backend.toLowerCase(Locale.ROOT)) {
      case "memory":
        break;
      case "redis":
        b.backend(RedisBackend.connect(redisUri), "redis");
        break;
      case "redis-cluster":
        b.backend(RedisBackend.connectCluster(redisUri), "redis-cluster");
        break;
      case "postgres":
        b.backend(postgres(), "postgres");
        break;
      default:
        throw new CommandLine.ParameterException(
            new CommandLine(this),
            "--backend must be memory, redis, redis-cluster or postgres, was '" + backend + "'");
    }
    if ("postgres".equals(storeKind())) {
      postgresStore(b);
    }
    return b;
  }

  /**
   * A {@link PostgresBackend} on a HikariCP pool of {@code --jdbc-url}, its schema created if
   * missing; it listens on a connection of its own, outside the pool, and closing it closes the
   * pool. A connection is waited for no longer than the backend's timeout.
   */
  private Backend postgres() {
    if (jdbcUrl == null || jdbcUrl.isBlank()) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--backend postgres needs --jdbc-url (or CHORD_JDBC_URL)");
    }
    String password = System.getenv(jdbcPasswordEnv);
    HikariDataSource pool = pool("chord");
    Properties login = new Properties();
    if (jdbcUser != null) {
      login.setProperty("user", jdbcUser);
    }
    if (password != null) {
      login.setProperty("password", password);
    }
    PostgresBackend postgres =
        PostgresBackend.builder(pool)
            .listenConnection(
                () -> {
                  try {
                    return DriverManager.getConnection(jdbcUrl, login);
                  } catch (SQLException e) {
                    throw new BackendException("cannot connect to listen: " + e.getMessage(), e);
                  }
                })
            .build();
    try {
      postgres.createSchema();
    } catch (BackendException e) {
      pool.close();
      throw e;
    }
    return new ForwardingBackend(postgres) {
      @Override
      public void close() {
        try {
          super.close();
        } finally {
          pool.close();
        }
      }
    };
  }

  /**
   * A HikariCP pool of {@code --jdbc-url} as {@code --jdbc-user} with the password of {@code
   * --jdbc-password-env}; a connection is waited for no longer than the backend's timeout.
   *
   * @throws BackendException if the pool cannot connect
   */
  private HikariDataSource pool(String name) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(jdbcUser);
    config.setPassword(System.getenv(jdbcPasswordEnv));
    config.setConnectionTimeout(PostgresBackend.DEFAULT_TIMEOUT.toMillis());
    try {
      return new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new BackendException("cannot connect to PostgreSQL: " + e.getMessage(), e);
    }
  }

  /** Passes an option on if it was given, on the command line or by its environment variable. */
  private static <T> void set(T value, Consumer<T> setting) {
    if (value != null) {
      setting.accept(value);
    }
  }

  /** {@code chord-server token}: prints a bearer token. */
  @Command(
      name = "token",
      mixinStandardHelpOptions = true,
      description = "Prints a bearer token for a server started with the same --auth-secret.")
  static final class TokenCommand implements Callable<Integer> {
    @Option(
        names = "--secret",
        required = true,
        defaultValue = "${env:CHORD_AUTH_SECRET}",
        description = "The server's auth secret (env CHORD_AUTH_SECRET).")
    String secret;

    @Option(
        names = "--context",
        required = true,
        description = "A context id (room:1), a prefix ending in * (room:*), or * for all.")
    String context;

    @Option(
        names = "--rights",
        split = ",",
        defaultValue = "read",
        description = "Comma-separated: read, write, admin (default ${DEFAULT-VALUE}).")
    List<String> rights;

    @Option(
        names = "--ttl",
        defaultValue = "1h",
        converter = DurationConverter.class,
        description = "How long the token is valid, e.g. 15m, 1h, 30d (default ${DEFAULT-VALUE}).")
    Duration ttl;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      Set<Right> granted = EnumSet.noneOf(Right.class);
      try {
        rights.forEach(r -> granted.add(Right.parse(r)));
        spec.commandLine()
            .getOut()
            .println(Tokens.mint(secret, context, granted, Instant.now().plus(ttl)));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      return 0;
    }
  }

  /**
   * A setting given as {@code on} or {@code off}. Not a {@code Boolean} field: picocli would take a
   * boolean option as a flag and never read its value.
   */
  enum OnOff {
    ON,
    OFF;

    boolean on() {
      return this == ON;
    }

    static String format(boolean on) {
      return on ? "on" : "off";
    }
  }

  /** {@code on} or {@code off}, in any case. */
  static final class OnOffConverter implements CommandLine.ITypeConverter<OnOff> {
    @Override
    public OnOff convert(String value) {
      return switch (value.strip().toLowerCase(Locale.ROOT)) {
        case "on" -> OnOff.ON;
        case "off" -> OnOff.OFF;
        default ->
            throw new CommandLine.TypeConversionException(
                "expected on or off, got '" + value + "'");
      };
    }
  }

  /** Durations as {@code 500ms}, {@code 90s}, {@code 15m}, {@code 24h}, {@code 7d} or ISO-8601. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /** The short forms' units, largest first. */
    private static final List<Map.Entry<String, Duration>> UNITS =
        List.of(
            Map.entry("d", Duration.ofDays(1)),
            Map.entry("h", Duration.ofHours(1)),
            Map.entry("m", Duration.ofMinutes(1)),
            Map.entry("s", Duration.ofSeconds(1)),
            Map.entry("ms", Duration.ofMillis(1)));

    @Override
    public Duration convert(String value) {
      Matcher m = SHORT.matcher(value.trim().toLowerCase(Locale.ROOT));
      if (m.matches()) {
        Duration unit =
            UNITS.stream().filter(u -> u.getKey().equals(m.group(2))).findFirst().get().getValue();
        return unit.multipliedBy(Long.parseLong(m.group(1)));
      }
      try {
        return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
      } catch (java.time.format.DateTimeParseException e) {
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a duration; use e.g. 90s, 15m, 24h, 7d or PT1H");
      }
    }

    /** The short form in the largest unit that holds {@code d} whole ({@code 24h}), else ISO. */
    static String format(Duration d) {
      for (Map.Entry<String, Duration> unit : UNITS) {
        long n = d.dividedBy(unit.getValue());
        if (n > 0 && unit.getValue().multipliedBy(n).equals(d)) {
          return n + unit.getKey();
        }
      }
      return d.toString();
    }
  }
}
