package dev.chord.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.chord.testsupport.PostgresServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** The shared test database, pools on it, and per-class table prefixes that are dropped after. */
final class TestDb {
  private TestDb() {}

  /** A fresh table prefix, {@code <name>_<random>}. */
  static String prefix(String name) {
    return name + "_" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * A pool on the shared database. Its connection wait is generous: on a loaded machine a first
   * connection can take seconds, and these tests are not about timeouts.
   */
  static HikariDataSource pool() {
    return pool(PostgresServers.shared(), 8, 30_000);
  }

  /** A pool on {@code url} that waits at most {@code connectionTimeoutMillis} for a connection. */
  static HikariDataSource pool(String url, int size, long connectionTimeoutMillis) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(size);
    config.setConnectionTimeout(connectionTimeoutMillis);
    config.setInitializationFailTimeout(-1);
    return new HikariDataSource(config);
  }

  static Connection connect(String url) {
    try {
      return DriverManager.getConnection(url);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Drops every table and function of {@code prefix} in the shared database. */
  static void drop(String prefix) {
    drop(PostgresServers.shared(), prefix);
  }

  static void drop(String url, String prefix) {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute(
          "drop table if exists "
              + prefix
              + "_contexts, "
              + prefix
              + "_leaves, "
              + prefix
              + "_deltas, "
              + prefix
              + "_exports cascade");
      for (String function : new String[] {"read", "commit", "restore", "delete", "trim"}) {
        s.execute("drop function if exists " + prefix + "_" + function);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
