package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.testsupport.PostgresServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code --backend postgres} against a real PostgreSQL: the server creates its schema, serves from
 * it, and a server started again on the same database has the contexts of the first.
 */
class MainPostgresIT {
  /** A schema of this class's own in the shared database, as {@code currentSchema} of the URL. */
  private static final String SCHEMA = "srv_" + UUID.randomUUID().toString().substring(0, 8);

  private static String url;

  @BeforeAll
  static void createSchema() throws Exception {
    String shared = PostgresServers.shared();
    try (Connection c = DriverManager.getConnection(shared);
        Statement s = c.createStatement()) {
      s.execute("create schema " + SCHEMA);
    }
    url = shared + (shared.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA;
  }

  @AfterAll
  static void dropSchema() throws Exception {
    try (Connection c = DriverManager.getConnection(PostgresServers.shared());
        Statement s = c.createStatement()) {
      s.execute("drop schema " + SCHEMA + " cascade");
    }
  }

  private static ChordServer start() {
    Main main = new Main();
    new CommandLine(main)
        .parseArgs(
            "--port",
            "0",
            "--backend",
            "postgres",
            "--jdbc-url",
            url,
            "--jdbc-user",
            "postgres",
            "--jdbc-password-env",
            "CHORD_TEST_UNSET_PASSWORD_VARIABLE");
    return main.builder().start();
  }

  @Test
  void postgresBackend_servesAndKeepsContextsAcrossRestarts() {
    String version;
    try (ChordServer first = start()) {
      Http http = new Http(first.url());
      assertThat(http.get("/health").json()).containsEntry("backend", "postgres");
      assertThat(http.put("/contexts/room:1", Map.of("topic", "launch", "n", 1)).status())
          .isEqualTo(201);
      version = http.get("/contexts/room:1").header("ETag");
    }
    try (ChordServer second = start()) {
      Http.Reply read = new Http(second.url()).get("/contexts/room:1");
      assertThat(read.status()).isEqualTo(200);
      assertThat(read.header("ETag")).isEqualTo(version);
      assertThat(read.body()).contains("launch");
    }
  }
}
