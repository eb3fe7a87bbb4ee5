package dev.chord.server;

import dev.chord.BackendException;
import dev.chord.redis.RedisBackend;
import io.javalin.util.JavalinBindException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line: {@code chord-server [options]} serves, {@code chord-server token …} mints a
 * bearer token. Every serve option can also come from an environment variable ({@code CHORD_PORT},
 * {@code CHORD_HOST}, …); the command line wins.
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
      defaultValue = "${env:CHORD_HOST:-127.0.0.1}",
      description = "Address to bind (env CHORD_HOST; default ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "${env:CHORD_PORT:-7070}",
      description = "Port (env CHORD_PORT; default ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Option(
      names = "--backend",
      defaultValue = "${env:CHORD_BACKEND:-memory}",
      description = "memory, redis or redis-cluster (env CHORD_BACKEND; default ${DEFAULT-VALUE}).")
  String backend;

  @Option(
      names = "--redis-uri",
      defaultValue = "${env:CHORD_REDIS_URI:-redis://127.0.0.1:6379}",
      description =
          "Redis URI for --backend redis; comma-separated seed URIs for redis-cluster (env"
              + " CHORD_REDIS_URI; default ${DEFAULT-VALUE}).")
  String redisUri;

  @Option(
      names = "--delta-threshold",
      defaultValue = "${env:CHORD_DELTA_THRESHOLD:-100}",
      description =
          "Deltas kept per context (env CHORD_DELTA_THRESHOLD; default ${DEFAULT-VALUE}).")
  int deltaThreshold;

  @Option(
      names = "--delta-ttl",
      defaultValue = "${env:CHORD_DELTA_TTL:-24h}",
      converter = DurationConverter.class,
      description =
          "How long deltas are kept, e.g. 90s, 15m, 24h, 7d (env CHORD_DELTA_TTL; default"
              + " ${DEFAULT-VALUE}).")
  Duration deltaTtl;

  @Option(
      names = "--context-ttl",
      defaultValue = "${env:CHORD_CONTEXT_TTL}",
      converter = DurationConverter.class,
      description =
          "Delete contexts unchanged for this long, at cleanup (env CHORD_CONTEXT_TTL; default:"
              + " keep).")
  Duration contextTtl;

  @Option(
      names = "--cleanup-interval",
      defaultValue = "${env:CHORD_CLEANUP_INTERVAL:-10m}",
      converter = DurationConverter.class,
      description =
          "Run cleanup this often (env CHORD_CLEANUP_INTERVAL; default ${DEFAULT-VALUE}).")
  Duration cleanupInterval;

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
          "Require bearer tokens signed with this secret, ≥ 16 chars (env CHORD_AUTH_SECRET;"
              + " default: none, open).")
  String authSecret;

  @Option(
      names = "--max-body-bytes",
      defaultValue = "${env:CHORD_MAX_BODY_BYTES:-1048576}",
      description = "Largest request body (env CHORD_MAX_BODY_BYTES; default ${DEFAULT-VALUE}).")
  int maxBodyBytes;

  @Option(
      names = "--max-json-depth",
      defaultValue = "${env:CHORD_MAX_JSON_DEPTH:-32}",
      description =
          "Deepest JSON nesting, ≤ 64 (env CHORD_MAX_JSON_DEPTH; default ${DEFAULT-VALUE}).")
  int maxJsonDepth;

  @Option(
      names = "--max-id-length",
      defaultValue = "${env:CHORD_MAX_ID_LENGTH:-128}",
      description =
          "Longest context id, ≤ 512 (env CHORD_MAX_ID_LENGTH; default ${DEFAULT-VALUE}).")
  int maxIdLength;

  @Option(
      names = "--ws-max-message-bytes",
      defaultValue = "${env:CHORD_WS_MAX_MESSAGE_BYTES:-4096}",
      description =
          "Largest WebSocket message a client may send (env CHORD_WS_MAX_MESSAGE_BYTES; default"
              + " ${DEFAULT-VALUE}).")
  int wsMaxMessageBytes;

  @Option(
      names = "--ws-queue",
      defaultValue = "${env:CHORD_WS_QUEUE:-64}",
      description =
          "Messages queued per live connection before merging (env CHORD_WS_QUEUE; default"
              + " ${DEFAULT-VALUE}).")
  int wsQueue;

  @Option(
      names = "--max-merged-changes",
      defaultValue = "${env:CHORD_MAX_MERGED_CHANGES:-1000}",
      description =
          "Changes in a merged patch before a full context is sent instead (env"
              + " CHORD_MAX_MERGED_CHANGES; default ${DEFAULT-VALUE}).")
  int maxMergedChanges;

  @Option(
      names = "--max-connections-per-ip",
      defaultValue = "${env:CHORD_MAX_CONNECTIONS_PER_IP:-64}",
      description =
          "Live connections per client address (env CHORD_MAX_CONNECTIONS_PER_IP; default"
              + " ${DEFAULT-VALUE}).")
  int maxConnectionsPerIp;

  @Option(
      names = "--allowed-origins",
      split = ",",
      defaultValue = "${env:CHORD_ALLOWED_ORIGINS}",
      description =
          "Comma-separated web origins (https://app.example.com) or * whose pages may use this"
              + " server from a browser: WebSocket upgrades and CORS (env CHORD_ALLOWED_ORIGINS;"
              + " default: the server's own origin only).")
  List<String> allowedOrigins;

  /** Runs the command line; exits with its status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main());
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
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "chord-shutdown"));
    stopped.await();
    return 0;
  }

  /** The server these options describe, not yet started. */
  ChordServer.Builder builder() {
    ChordServer.Builder b =
        ChordServer.builder()
            .host(host)
            .port(port)
            .deltaThreshold(deltaThreshold)
            .deltaTtl(deltaTtl)
            .maxBodyBytes(maxBodyBytes)
            .maxJsonDepth(maxJsonDepth)
            .maxIdLength(maxIdLength)
            .wsMaxMessageBytes(wsMaxMessageBytes)
            .wsQueueLimit(wsQueue)
            .maxMergedChanges(maxMergedChanges)
            .maxConnectionsPerIp(maxConnectionsPerIp);
    switch (backend.toLowerCase(Locale.ROOT)) {
      case "memory":
        break;
      case "redis":
        b.backend(RedisBackend.connect(redisUri), "redis");
        break;
      case "redis-cluster":
        b.backend(RedisBackend.connectCluster(redisUri), "redis-cluster");
        break;
      default:
        throw new CommandLine.ParameterException(
            new CommandLine(this),
            "--backend must be memory, redis or redis-cluster, was '" + backend + "'");
    }
    if (contextTtl != null) {
      b.contextTtl(contextTtl);
    }
    if (cleanupInterval != null) {
      b.cleanupInterval(cleanupInterval);
    }
    if (storeDir != null) {
      b.storeDir(storeDir);
    }
    if (authSecret != null && !authSecret.isEmpty()) {
      b.authSecret(authSecret);
    }
    if (allowedOrigins != null) {
      b.allowedOrigins(allowedOrigins.stream().filter(o -> !o.isBlank()).toList());
    }
    return b;
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

  /** Durations as {@code 500ms}, {@code 90s}, {@code 15m}, {@code 24h}, {@code 7d} or ISO-8601. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
      Matcher m = SHORT.matcher(value.trim().toLowerCase(Locale.ROOT));
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
          case "ms":
            return Duration.ofMillis(n);
          case "s":
            return Duration.ofSeconds(n);
          case "m":
            return Duration.ofMinutes(n);
          case "h":
            return Duration.ofHours(n);
          default:
            return Duration.ofDays(n);
        }
      }
      try {
        return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
      } catch (java.time.format.DateTimeParseException e) {
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a duration; use e.g. 90s, 15m, 24h, 7d or PT1H");
      }
    }
  }
}
