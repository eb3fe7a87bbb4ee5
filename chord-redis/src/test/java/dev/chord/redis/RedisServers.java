package dev.chord.redis;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The real Redis servers the tests use. Standalone: the one at 127.0.0.1:6379 if it answers,
 * otherwise a redis-server this JVM starts on a free port. Cluster: three cluster-enabled
 * redis-servers on free ports, joined with {@code redis-cli --cluster create}. Servers this JVM
 * starts are stopped when it exits. A missing redis-server is installed with apt-get when we are
 * root; if Redis still cannot be had, tests are skipped, except with {@code CI=true}, where they
 * fail.
 */
final class RedisServers {
  private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));
  private static String standalone;
  private static String cluster;

  private RedisServers() {}

  /** A Redis URI for standalone tests; share it only with a unique key prefix. */
  static synchronized String standalone() {
    if (standalone == null) {
      standalone =
          answers(6379) ? "redis://127.0.0.1:6379" : require(() -> Server.start(false)).uri();
    }
    return standalone;
  }

  /** Comma-separated seed URIs of a 3-master cluster. */
  static synchronized String cluster() {
    if (cluster == null) {
      cluster = require(RedisServers::startCluster);
    }
    return cluster;
  }

  /** A redis-server of the caller's own (for fault tests and exact command counts). */
  static Server own(String... extraArgs) {
    return require(() -> Server.start(false, extraArgs));
  }

  /** Deletes every key under {@code prefix}: tests on a shared Redis leave nothing behind. */
  static void deleteKeys(String uris, boolean isCluster, String prefix) {
    if (isCluster) {
      for (String uri : uris.split(",")) {
        deleteKeys(uri, false, prefix);
      }
      return;
    }
    RedisClient client = RedisClient.create(RedisURI.create(uris));
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      ScanIterator<String> keys =
          ScanIterator.scan(c.sync(), ScanArgs.Builder.matches(prefix + ":*").limit(500));
      while (keys.hasNext()) {
        String key = keys.next();
        c.sync().del(key);
      }
    } catch (io.lettuce.core.RedisException e) {
      // A cluster replica or a stopped server: nothing of ours to delete there.
    } finally {
      client.shutdown();
    }
  }

  private interface Starter<T> {
    T start() throws Exception;
  }

  private static <T> T require(Starter<T> starter) {
    try {
      ensureInstalled();
      return starter.start();
    } catch (Exception e) {
      if (CI) {
        throw new IllegalStateException("Redis is required in CI and could not be started", e);
      }
      assumeTrue(false, "no Redis available: " + e);
      throw new AssertionError(e);
    }
  }

  private static synchronized void ensureInstalled() throws IOException, InterruptedException {
    if (onPath("redis-server") && onPath("redis-cli")) {
      return;
    }
    // The Debian package brings redis-server and redis-cli; installing needs root.
    run(
        List.of(
            "sh",
            "-c",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server"),
        300);
    if (!onPath("redis-server")) {
      throw new IOException("redis-server is not installed and could not be installed");
    }
  }

  private static boolean onPath(String binary) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, binary))) {
        return true;
      }
    }
    return false;
  }

  static String run(List<String> command, int timeoutSeconds)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out;
    try (InputStream in = p.getInputStream()) {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + command);
      }
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (p.exitValue() != 0) {
      throw new IOException(command + " exited with " + p.exitValue() + ": " + out);
    }
    return out;
  }

  /** Whether a Redis answers PING on that loopback port. */
  static boolean answers(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 300);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] reply = new byte[7];
      int n = socket.getInputStream().read(reply);
      return n > 0 && new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /** A free port whose cluster-bus port (+10000) is free too. */
  static int freePort() throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      if (port < 55_000 && !answers(port)) {
        try (ServerSocket bus =
            new ServerSocket(port + 10_000, 1, java.net.InetAddress.getLoopbackAddress())) {
          return port;
        } catch (IOException taken) {
          // try another
        }
      }
    }
    throw new IOException("no free port pair found");
  }

  private static String startCluster() throws Exception {
    List<Server> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(Server.start(true));
    }
    List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
    nodes.forEach(n -> create.add("127.0.0.1:" + n.port()));
    create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    run(create, 60);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (Server node : nodes) {
      while (!run(List.of("redis-cli", "-p", Integer.toString(node.port()), "cluster", "info"), 10)
          .contains("cluster_state:ok")) {
        if (System.nanoTime() > deadline) {
          throw new IOException("cluster did not reach cluster_state:ok");
        }
        Thread.sleep(50);
      }
    }
    return nodes.stream().map(Server::uri).collect(Collectors.joining(","));
  }

  /** A redis-server process of this JVM, stopped at exit at the latest. */
  static final class Server implements AutoCloseable {
    private final int port;
    private final Path dir;
    private final boolean clusterNode;
    private final List<String> extraArgs;
    private Process process;

    private Server(int port, Path dir, boolean clusterNode, List<String> extraArgs) {
      this.port = port;
      this.dir = dir;
      this.clusterNode = clusterNode;
      this.extraArgs = extraArgs;
      Runtime.getRuntime().addShutdownHook(new Thread(this::close));
    }

    static Server start(boolean clusterNode, String... extraArgs)
        throws IOException, InterruptedException {
      Server server =
          new Server(
              freePort(),
              Files.createTempDirectory("chord-redis-"),
              clusterNode,
              List.of(extraArgs));
      server.restart();
      return server;
    }

    int port() {
      return port;
    }

    String uri() {
      return "redis://127.0.0.1:" + port;
    }

    /**
     * Starts the server (again, on the same port; empty unless its extra arguments enable
     * persistence) and waits until it answers.
     */
    synchronized void restart() throws IOException, InterruptedException {
      List<String> command =
          new ArrayList<>(
              List.of(
                  "redis-server",
                  "--port",
                  Integer.toString(port),
                  "--bind",
                  "127.0.0.1",
                  "--save",
                  "",
                  "--appendonly",
                  "no",
                  "--dir",
                  dir.toString()));
      command.addAll(extraArgs);
      if (clusterNode) {
        command.addAll(
            List.of(
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                dir.resolve("nodes-" + port + ".conf").toString()));
      }
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("redis.log").toFile())
              .start();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!answers(port)) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IOException(
              "redis-server on port "
                  + port
                  + " did not start: "
                  + Files.readString(dir.resolve("redis.log")));
        }
        Thread.sleep(20);
      }
    }

    /** Kills the server at once, as a crash would. */
    synchronized void kill() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }

    @Override
    public synchronized void close() {
      try {
        kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
