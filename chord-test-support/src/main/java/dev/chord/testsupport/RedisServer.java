package dev.chord.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server process of this JVM on a loopback port, keeping nothing on disk unless its extra
 * arguments say so; stopped by {@link #close()} or when the JVM exits.
 */
public final class RedisServer implements AutoCloseable {
  private final Path binary;
  private final int port;
  private final Path dir;
  private final boolean clusterNode;
  private final List<String> extraArgs;
  private Process process;

  private RedisServer(
      Path binary, int port, Path dir, boolean clusterNode, List<String> extraArgs) {
    this.binary = binary;
    this.port = port;
    this.dir = dir;
    this.clusterNode = clusterNode;
    this.extraArgs = List.copyOf(extraArgs);
    Runtime.getRuntime().addShutdownHook(new Thread(this::close));
  }

  static RedisServer start(boolean clusterNode, List<String> extraArgs)
      throws IOException, InterruptedException {
    RedisServer server =
        new RedisServer(
            Services.requireExecutable("redis-server", "redis-server"),
            RedisServers.freePortPair(),
            Files.createTempDirectory("chord-redis-"),
            clusterNode,
            extraArgs);
    server.restart();
    return server;
  }

  /** Its loopback port. */
  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Its working directory (logs, and data when persistence is on). */
  public Path dir() {
    return dir;
  }

  /**
   * Starts the server (again, on the same port; empty unless its extra arguments enable
   * persistence) and waits until it answers PING.
   */
  public synchronized void restart() throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                binary.toString(),
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
    while (!RedisServers.answersPing(port)) {
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
  public synchronized void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Stops the server. */
  @Override
  public synchronized void close() {
    try {
      kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
