package dev.chord.jdbc;

import dev.chord.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Runs one statement on a connection of the pool, within the timeout, and turns every {@link
 * SQLException} into a {@link BackendException}. Shared by {@link PostgresBackend} and {@link
 * JdbcContextStore}.
 */
final class Sql {
  /** A lowercase SQL identifier short enough for every name made from it. */
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,39}");

  private final DataSource dataSource;
  private final int timeoutMillis;

  Sql(DataSource dataSource, Duration timeout) {
    this.dataSource = dataSource;
    this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
  }

  /** What a statement does with its prepared statement: binds, executes and reads. */
  interface Work<T> {
    T run(PreparedStatement statement) throws SQLException;
  }

  /**
   * Prepares {@code sql} on a connection of the pool and hands it to {@code work}: one statement,
   * one round trip (the driver sends parse, bind and execute together). A connection that is not in
   * auto-commit mode is committed after it (or rolled back on failure).
   *
   * @throws BackendException if the database fails or does not answer within the timeout
   */
  <T> T run(String what, String sql, Work<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      // A network timeout, unlike a query timeout, also ends a wait on a database that is gone.
      connection.setNetworkTimeout(Runnable::run, timeoutMillis);
      boolean autoCommit = connection.getAutoCommit();
      try (PreparedStatement statement = connection.prepareStatement(sql)) {
        T result = work.run(statement);
        if (!autoCommit) {
          connection.commit();
        }
        return result;
      } catch (SQLException | RuntimeException e) {
        if (!autoCommit && !connection.isClosed()) {
          connection.rollback();
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new BackendException("PostgreSQL " + what + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code script} (statements separated by semicolons) in one transaction, holding a
   * transaction-level advisory lock named {@code lockName}, so that nodes creating the same schema
   * at once take turns.
   */
  void script(String lockName, String script) {
    try (Connection connection = dataSource.getConnection()) {
      connection.setNetworkTimeout(Runnable::run, Math.max(timeoutMillis, 30_000));
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement()) {
        try (PreparedStatement lock =
            connection.prepareStatement("select pg_advisory_xact_lock(hashtext(?))")) {
          lock.setString(1, lockName);
          lock.execute();
        }
        statement.execute(script);
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new BackendException("PostgreSQL schema creation failed: " + e.getMessage(), e);
    }
  }

  /**
   * Checks a table prefix or table name, {@code what} naming it in the message.
   *
   * @throws IllegalArgumentException unless it is 1 to 40 of {@code [a-z0-9_]}, not starting with a
   *     digit
   */
  static String checkName(String what, String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          what + " is 1 to 40 of [a-z0-9_], not starting with a digit; was '" + name + "'");
    }
    return name;
  }

  /** The text of a resource of this module. */
  static String resource(String name) {
    try (InputStream in = Sql.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Duration checkTimeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
    return timeout;
  }
}
