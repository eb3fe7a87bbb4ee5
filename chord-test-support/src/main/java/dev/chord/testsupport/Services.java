package dev.chord.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** What every launcher shares: the CI rule, settings, processes and ports. */
public final class Services {
  /** With {@code CI=true} a service that cannot be had fails the test instead of skipping it. */
  public static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

  private Services() {}

  /** Something that starts a service and may fail. */
  @FunctionalInterface
  public interface Starter<T> {
    /** Starts the service, or throws why it could not. */
    T start() throws Exception;
  }

  /**
   * Starts a service the test needs: its failure skips the test, or fails it in CI.
   *
   * @param what the service, for the message
   */
  public static <T> T require(String what, Starter<T> starter) {
    try {
      return starter.start();
    } catch (Exception e) {
      if (CI) {
        throw new IllegalStateException(what + " is required in CI and could not be had", e);
      }
      Assumptions.abort(what + " is not available: " + e);
      throw new AssertionError(e);
    }
  }

  /**
   * A setting: the system property {@code property}, else the environment variable {@code env},
   * else empty.
   */
  public static Optional<String> setting(String property, String env) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      value = System.getenv(env);
    }
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
  }

  /** The executable {@code binary} on the PATH or in {@code extraDirs}, if there is one. */
  public static Optional<Path> executable(String binary, String... extraDirs) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : (path + ":" + String.join(":", extraDirs)).split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, binary))) {
        return Optional.of(Path.of(dir, binary));
      }
    }
    return Optional.empty();
  }

  /** {@link #executable} or an IOException that names what to install. */
  public static Path requireExecutable(String binary, String debianPackage, String... extraDirs)
      throws IOException {
    return executable(binary, extraDirs)
        .orElseThrow(
            () ->
                new IOException(
                    binary + " is not installed (Debian package " + debianPackage + ")"));
  }

  /** Runs a command to its end and returns its output; a non-zero exit is an IOException. */
  public static String run(List<String> command, int timeoutSeconds)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out;
    try (InputStream in = p.getInputStream()) {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out after " + timeoutSeconds + " s: " + command);
      }
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (p.exitValue() != 0) {
      throw new IOException(command + " exited with " + p.exitValue() + ": " + out);
    }
    return out;
  }

  /** A loopback port nothing listens on at the moment of asking. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Whether something accepts TCP connections on that loopback port. */
  public static boolean accepting(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 300);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops a process: politely, then by force. */
  static void stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
