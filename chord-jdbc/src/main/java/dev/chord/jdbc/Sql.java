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
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.postgresql.jdbc.PgStatement;

/**
 * Runs one statement on a connection of the pool, within the timeout (cancelled by PostgreSQL a
 * little before it), and turns every {@link SQLException} into a {@link BackendException}. Shared
 * by {@link PostgresBackend} and {@link JdbcContextStore}.
 */
final class Sql {
  /** A lowercase SQL identifier short enough for every name made from it. */
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,39}");

  private final DataSource dataSource;
  private final int timeoutMillis;
  private final long queryTimeoutMillis;

  Sql(DataSource dataSource, Duration timeout) {
    this.dataSource = dataSource;
    this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    // Early enough for the cancel to reach PostgreSQL and its error to come back in time.
    this.queryTimeoutMillis = timeoutMillis - Math.min(timeoutMillis / 5, 250);
  }

  /** What a statement does with its prepared statement: binds, executes and reads. */
  interface Work<T> {
    T run(PreparedStatement statement) throws SQLException;
  }

  /**
   * Prepares {@code sql} on a connection of the pool and hands it to {@code work}: one statement,
   * one round trip (the driver sends parse, bind and execute together), cancelled by PostgreSQL at
   * the query timeout. A connection that is not in auto-commit mode is committed after it; on
   * failure the connection is left out of any transaction (see {@link #endTransaction}).
   *
   * @throws BackendException if the database fails or does not answer within the timeout
   */
  <T> T run(String what, String sql, Work<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      // A network timeout, unlike a query timeout, also ends a wait on a database that is gone;
      // but it only drops the connection, and PostgreSQL would go on and may still commit. The
      // query timeout, a little shorter, has PostgreSQL cancel the statement and roll it back.
      connection.setNetworkTimeout(Runnable::run, timeoutMillis);
      boolean autoCommit = connection.getAutoCommit();
      try (PreparedStatement statement = connection.prepareStatement(sql)) {
        setQueryTimeout(statement, queryTimeoutMillis);
        T result = work.run(statement);
        if (!autoCommit) {
          connection.commit();
        }
        return result;
      } catch (SQLException | RuntimeException e) {
        if (!connection.isClosed()) {
          endTransaction(connection, autoCommit, e);
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new BackendException("PostgreSQL " + what + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Leaves a connection that failed in a statement out of any transaction, so that the pool hands
   * out a usable one: a statement with its own {@code begin} (a commit with {@code
   * notifyAfterCommit}) leaves the session in a transaction even in auto-commit mode, aborted after
   * an error, and pools roll back only connections not in auto-commit mode. A connection that
   * cannot be rolled back is aborted.
   */
  private static void endTransaction(Connection connection, boolean autoCommit, Exception failure)
      throws SQLException {
    try {
      if (!autoCommit) {
        connection.rollback();
      } else if (inTransaction(connection)) {
        try (Statement rollback = connection.createStatement()) {
          rollback.execute("rollback");
        }
      }
    } catch (SQLException | RuntimeException e) {
      failure.addSuppressed(e);
      connection.abort(Runnable::run);
    }
  }

  /** Whether the session is in a transaction block; {@code true} if the driver cannot tell. */
  private static boolean inTransaction(Connection connection) throws SQLException {
    if (!connection.isWrapperFor(BaseConnection.class)) {
      return true;
    }
    return connection.unwrap(BaseConnection.class).getTransactionState() != TransactionState.IDLE;
  }

  /** A server-side timeout in milliseconds where the driver offers it, else whole seconds. */
  private static void setQueryTimeout(PreparedStatement statement, long millis)
      throws SQLException {
    if (statement.isWrapperFor(PgStatement.class)) {
      statement.unwrap(PgStatement.class).setQueryTimeoutMs(millis);
    } else {
      statement.setQueryTimeout((int) Math.max(1, millis / 1000));
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
