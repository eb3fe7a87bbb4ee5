package dev.chord.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.chord.spi.Backend;
import dev.chord.tck.BackendContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The backend contract with {@code notifyAfterCommit(true)}: notifications in a second transaction.
 */
class PostgresBackendNotifyAfterCommitContractIT extends BackendContractTest {
  private static final String PREFIX = TestDb.prefix("tcklater");
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
    return PostgresBackend.builder(pool).tablePrefix(PREFIX).notifyAfterCommit(true).build();
  }

  @Override
  protected Backend createPeer() {
    return createBackend();
  }

  @Override
  protected int propertyRuns() {
    return 60;
  }
}
