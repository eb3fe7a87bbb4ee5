package dev.chord.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A private PostgreSQL server of this JVM: a fresh cluster made by {@code initdb} in a temporary
 * directory, run by {@code pg_ctl} on a free loopback port with trust authentication, holding a
 * database {@code test}. Stopped by {@link #close()} or when the JVM exits. PostgreSQL refuses to
 * run as root, so under root the cluster belongs to the {@code postgres} user and the commands run
 * through {@code runuser}.
 */
public final class PostgresServer implements AutoCloseable {
  private static final String[] BIN_DIRS = {
    "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"
  };

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgresUser;

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
    Runtime.getRuntime().addShutdownHook(new Thread(this::close));
  }

  static PostgresServer start() throws IOException, InterruptedException {
    Path initdb = binDir().resolve("initdb");
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("chord-postgres-");
    PostgresServer server = new PostgresServer(initdb.getParent(), dir, Services.freePort(), root);
    if (root) {
      Services.run(List.of("chown", "postgres:postgres", dir.toString()), 30);
    }
    server.command(
        List.of(
            initdb.toString(),
            "-D",
            server.data().toString(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync"),
        120);
    server.startServer();
    server.command(
        List.of(
            server.bin.resolve("createdb").toString(),
            "-h",
            "127.0.0.1",
            "-p",
            Integer.toString(server.port),
            "-U",
            "postgres",
            "test"),
        60);
    return server;
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/test?user=postgres}. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/test?user=postgres";
  }

  /** Its loopback port. */
  public int port() {
    return port;
  }

  /** Starts the server again (after {@link #stop}), with its data, and waits until it answers. */
  public synchronized void startServer() throws IOException, InterruptedException {
    command(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data().toString(),
            "-l",
            dir.resolve("postgres.log").toString(),
            "-o",
            "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir + " -c fsync=off",
            "-w",
            "-t",
            "60",
            "start"),
        90);
  }

  /** Stops the server at once ({@code pg_ctl stop -m immediate}, as a crash would). */
  public synchronized void stop() throws IOException, InterruptedException {
    command(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data().toString(),
            "-m",
            "immediate",
            "-w",
            "stop"),
        60);
  }

  /** Stops the server if it runs. */
  @Override
  public synchronized void close() {
    try {
      if (Files.exists(data().resolve("postmaster.pid"))) {
        stop();
      }
    } catch (IOException e) {
      // already stopped, or gone with its directory
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The server's own bin directory, where initdb, pg_ctl and createdb sit side by side. */
  private static Path binDir() throws IOException {
    for (String dir : BIN_DIRS) {
      if (Files.isExecutable(Path.of(dir, "pg_ctl"))) {
        return Path.of(dir);
      }
    }
    Path pgCtl = Services.requireExecutable("pg_ctl", "postgresql").toRealPath();
    return pgCtl.getParent();
  }

  private Path data() {
    return dir.resolve("data");
  }

  private void command(List<String> command, int timeoutSeconds)
      throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if (asPostgresUser) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    Services.run(full, timeoutSeconds);
  }
}
