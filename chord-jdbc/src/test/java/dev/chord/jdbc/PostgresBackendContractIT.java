package dev.chord.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.chord.spi.Backend;
import dev.chord.tck.BackendContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** PostgresBackend meets the backend contract on a real PostgreSQL, across two nodes. */
class PostgresBackendContractIT extends BackendContractTest {
  private static final String PREFIX = TestDb.prefix("tck");
  private static HikariDataSource pool;

  @BeforeAll
  static void createSchema() {
    pool = TestDb.pool();
    PostgresBackend.builder(pool).tablePrefix(PREFIX).build().createSchema();
  }

  @AfterAll
  static void dropSchema() {
    pool.close();
    TestDb.drop(PREFIX);
  }

  @Override
  protected Backend createBackend() {
    return PostgresBackend.builder(pool).tablePrefix(PREFIX).build();
  }

  @Override
  protected Backend createPeer() {
    return createBackend();
  }

  /** A history is about 60 operations of a few hundred microseconds each over loopback. */
  @Override
  protected int propertyRuns() {
    return 60;
  }
}
