package dev.chord.testsupport;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The Redis servers the tests use.
 *
 * <ul>
 *   <li>Standalone: {@code -Dchord.test.redis.uri} or {@code CHORD_TEST_REDIS_URI} if set, else the
 *       Redis at 127.0.0.1:6379 if it answers PING, else a redis-server this JVM starts on a free
 *       port. Share it only with a key prefix of your own.
 *   <li>Cluster: {@code -Dchord.test.redis.cluster} or {@code CHORD_TEST_REDIS_CLUSTER}
 *       (comma-separated seed URIs) if set, else three cluster-enabled redis-servers on free ports
 *       joined with {@code redis-cli --cluster create}.
 *   <li>{@link #own}: a private server for fault tests and exact command counts.
 * </ul>
 *
 * Servers this JVM starts are stopped when it exits.
 */
public final class RedisServers {
  private static String standalone;
  private static String cluster;

  private RedisServers() {}

  /** A Redis URI for standalone tests. */
  public static synchronized String standalone() {
    if (standalone == null) {
      standalone =
          Services.setting("chord.test.redis.uri", "CHORD_TEST_REDIS_URI")
              .orElseGet(() -> answersPing(6379) ? "redis://127.0.0.1:6379" : own().uri());
    }
    return standalone;
  }

  /** Comma-separated seed URIs of a cluster of three masters. */
  public static synchronized String cluster() {
    if (cluster == null) {
      cluster =
          Services.setting("chord.test.redis.cluster", "CHORD_TEST_REDIS_CLUSTER")
              .orElseGet(() -> Services.require("a Redis Cluster", RedisServers::startCluster));
    }
    return cluster;
  }

  /** A redis-server of the caller's own, with extra command-line arguments. */
  public static RedisServer own(String... extraArgs) {
    return Services.require("redis-server", () -> RedisServer.start(false, List.of(extraArgs)));
  }

  /** Whether a Redis answers PING on that loopback port. */
  public static boolean answersPing(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 300);
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
  static int freePortPair() throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = Services.freePort();
      if (port < 55_000 && !Services.accepting(port)) {
        try (ServerSocket bus =
            new ServerSocket(port + 10_000, 1, InetAddress.getLoopbackAddress())) {
          return bus.getLocalPort() - 10_000;
        } catch (IOException taken) {
          // try another pair
        }
      }
    }
    throw new IOException("no free port pair found");
  }

  private static String startCluster() throws Exception {
    List<RedisServer> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(RedisServer.start(true, List.of()));
    }
    List<String> create = new ArrayList<>(List.of(redisCli(), "--cluster", "create"));
    nodes.forEach(n -> create.add("127.0.0.1:" + n.port()));
    create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    Services.run(create, 60);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (RedisServer node : nodes) {
      while (!Services.run(
              List.of(redisCli(), "-p", Integer.toString(node.port()), "cluster", "info"), 10)
          .contains("cluster_state:ok")) {
        if (System.nanoTime() > deadline) {
          throw new IOException("cluster did not reach cluster_state:ok");
        }
        Thread.sleep(50);
      }
    }
    return nodes.stream().map(RedisServer::uri).collect(Collectors.joining(","));
  }

  /** The redis-cli binary's path. */
  public static String redisCli() throws IOException {
    return Services.requireExecutable("redis-cli", "redis-tools").toString();
  }
}
