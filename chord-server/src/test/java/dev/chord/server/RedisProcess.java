package dev.chord.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A redis-server of this test run on a free loopback port (installed with apt-get when missing).
 * Without one the tests are skipped locally and fail in CI (env {@code CI=true}).
 */
final class RedisProcess implements AutoCloseable {
  private final Process process;
  private final int port;

  private RedisProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static RedisProcess start() throws Exception {
    if (!Files.isExecutable(Path.of("/usr/bin/redis-server"))) {
      new ProcessBuilder(
              "sh",
              "-c",
              "apt-get install -y redis-server || (apt-get update && apt-get install -y"
                  + " redis-server)")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor(10, TimeUnit.MINUTES);
    }
    boolean present = Files.isExecutable(Path.of("/usr/bin/redis-server"));
    if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError("CI needs redis-server: apt-get install -y redis-server failed");
    }
    Assumptions.assumeTrue(present, "redis-server is not installed");
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Process process =
        new ProcessBuilder(
                "/usr/bin/redis-server",
                "--port",
                String.valueOf(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    RedisProcess redis = new RedisProcess(process, port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!redis.accepting()) {
      if (System.nanoTime() > deadline || !process.isAlive()) {
        redis.close();
        throw new IOException("redis-server did not start on port " + port);
      }
      Thread.sleep(20);
    }
    return redis;
  }

  private boolean accepting() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
