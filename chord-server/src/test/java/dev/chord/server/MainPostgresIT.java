package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.jdbc.JdbcContextStore;
import dev.chord.testsupport.PostgresServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine;

/**
 * {@code --backend postgres} and {@code --store postgres} against a real PostgreSQL: the server
 * creates its schema, serves from it, and a server started again on the same database has the
 * contexts of the first; a memory server with a PostgreSQL store exports there, restores from there
 * after a restart, and a DELETE removes the stored copy too.
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

  private static ChordServer startTieredMemory() {
    Main main = new Main();
    new CommandLine(main)
        .parseArgs(
            "--port",
            "0",
            "--store",
            "postgres",
            "--jdbc-url",
            url,
            "--jdbc-user",
            "postgres",
            "--jdbc-password-env",
            "CHORD_TEST_UNSET_PASSWORD_VARIABLE",
            "--export-delay",
            "50ms");
    return main.builder().start();
  }

  @Test
  void postgresStore_exportsRestoresAfterRestartAndDeleteStaysDeleted() {
    PGSimpleDataSource db = new PGSimpleDataSource();
    db.setURL(url);
    db.setUser("postgres");
    JdbcContextStore store = JdbcContextStore.create(db);
    String etag;
    try (ChordServer first = startTieredMemory()) {
      Http http = new Http(first.url());
      assertThat(http.put("/contexts/doc:1", Map.of("title", "draft", "n", 1)).status())
          .isEqualTo(201);
      etag = http.put("/contexts/doc:1", Map.of("title", "final", "n", 2)).header("ETag");
      await()
          .atMost(10, TimeUnit.SECONDS)
          .until(() -> store.fetch("doc:1").map(c -> c.version() == 2).orElse(false));
      assertThat(http.put("/contexts/doc:2", Map.of("n", 1)).status()).isEqualTo(201);
    }
    // Closing flushed doc:2 too; the pool is closed with the server.
    assertThat(store.fetch("doc:2")).isPresent();
    try (ChordServer second = startTieredMemory()) {
      Http http = new Http(second.url());
      Http.Reply back = http.get("/contexts/doc:1");
      assertThat(back.status()).isEqualTo(200);
      assertThat(back.body()).contains("final");
      // Restored under a fresh epoch (a restart forgets which copies were its own evictions).
      assertThat(back.header("ETag")).isNotEqualTo(etag);

      assertThat(http.delete("/contexts/doc:1").status()).isEqualTo(204);
      assertThat(http.get("/contexts/doc:1").status()).isEqualTo(404);
      assertThat(store.fetch("doc:1")).isEmpty();
    }
    try (ChordServer third = startTieredMemory()) {
      assertThat(new Http(third.url()).get("/contexts/doc:1").status()).isEqualTo(404);
    }
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
