/**
 * Chord on PostgreSQL: {@link dev.chord.jdbc.PostgresBackend}, a full backend, and {@link
 * dev.chord.jdbc.JdbcContextStore}, an export/restore store. Needs the PostgreSQL JDBC driver and
 * chord-json (Jackson core).
 */
module dev.chord.jdbc {
  requires transitive dev.chord;
  requires transitive java.sql;
  requires dev.chord.json;
  requires org.postgresql.jdbc;
  requires org.slf4j;
  requires org.jspecify;

  exports dev.chord.jdbc;
}
