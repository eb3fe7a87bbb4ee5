package dev.chord.bench;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A redis-server of the test's own on a free loopback port, stopped by {@link #close()}. Where
 * redis-server is missing the test is skipped, except in CI ({@code CI=true}), where it is
 * installed with apt-get, and failing that the test fails.
 */
final class PrivateRedis implements AutoCloseable {
  private final Process process;
  private final int port;

  private PrivateRedis(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static PrivateRedis start() throws IOException, InterruptedException {
    Path binary = Path.of("/usr/bin/redis-server");
    if (!Files.isExecutable(binary) && "true".equals(System.getenv("CI"))) {
      install();
    }
    if (!Files.isExecutable(binary)) {
      String why = "redis-server is not installed (Debian: apt-get install -y redis-server)";
      if ("true".equals(System.getenv("CI"))) {
        fail(why);
      }
      abort(why);
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path dir = Files.createTempDirectory("chord-bench-redis");
    Process process =
        new ProcessBuilder(
                binary.toString(),
                "--bind",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    PrivateRedis redis = new PrivateRedis(process, port);
    for (int attempt = 0; attempt < 100; attempt++) {
      try (Socket probe = new Socket("127.0.0.1", port)) {
        return redis;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    redis.close();
    throw new IOException("redis-server did not start on port " + port);
  }

  /** In CI, where the service is required, installs the Debian package (we run as root there). */
  private static void install() throws IOException, InterruptedException {
    for (String command :
        new String[] {"apt-get update -q", "apt-get install -y -q redis-server"}) {
      new ProcessBuilder("sh", "-c", command).inheritIO().start().waitFor();
    }
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() {
    process.destroy();
  }
}
