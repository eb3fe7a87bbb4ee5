package dev.chord.testsupport;

/**
 * The PostgreSQL servers the tests use.
 *
 * <ul>
 *   <li>{@link #shared()}: {@code -Dchord.test.jdbc.url} or {@code CHORD_TEST_JDBC_URL} if set,
 *       else the machine's server at 127.0.0.1:5432 (database {@code test}, user {@code postgres},
 *       trust authentication) if it accepts connections, else a private server of this JVM. Share
 *       it only with a table prefix or schema of your own.
 *   <li>{@link #own()}: a private server ({@code initdb} + {@code pg_ctl}) for fault tests, which
 *       stop and start it.
 * </ul>
 */
public final class PostgresServers {
  private static String shared;

  private PostgresServers() {}

  /** A JDBC URL (user included) of a database the tests may share. */
  public static synchronized String shared() {
    if (shared == null) {
      shared =
          Services.setting("chord.test.jdbc.url", "CHORD_TEST_JDBC_URL")
              .orElseGet(
                  () ->
                      Services.accepting(5432)
                          ? "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"
                          : own().jdbcUrl());
    }
    return shared;
  }

  /** A PostgreSQL server of the caller's own, started and empty but for database {@code test}. */
  public static PostgresServer own() {
    return Services.require("PostgreSQL (initdb, pg_ctl)", PostgresServer::start);
  }
}
