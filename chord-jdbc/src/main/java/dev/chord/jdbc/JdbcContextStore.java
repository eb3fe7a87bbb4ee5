package dev.chord.jdbc;

import dev.chord.BackendException;
import dev.chord.Context;
import dev.chord.ContextExporter;
import dev.chord.ContextProvider;
import dev.chord.json.TypedJson;
import dev.chord.spi.Snapshots;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Export and restore of contexts in a PostgreSQL table: one row per context id with its epoch,
 * version, {@code inserted_at} and data as {@code jsonb}.
 *
 * <pre>{@code
 * JdbcContextStore store = JdbcContextStore.builder(dataSource).table("chord_exports").build();
 * store.createSchema();
 * Chord chord = Chord.builder().exporter(store).externalProvider(store).build();
 * }</pre>
 *
 * <p>Exports race safely: a row is replaced only by a context of another epoch or of a higher
 * version of the same epoch, in one statement, so when two nodes export at once the newer version
 * stays, whatever order the statements run in. A restore gets exactly what was exported, value
 * types included (longs beyond 2^53, {@code BigDecimal} scale, doubles), through the typed JSON
 * described in {@link TypedJson#jsonbSafe()}; {@code inserted_at} is stored as Chord hands it over.
 * PostgreSQL's {@code jsonb} cannot hold the character U+0000 nor unpaired surrogates: a context
 * holding one is refused with {@link IllegalArgumentException} and nothing is stored.
 *
 * <p>Failures of the database surface as {@link BackendException} (wrapped by {@code Chord} as it
 * wraps every exporter's and provider's error). Instances are thread-safe and hold no connection.
 */
public final class JdbcContextStore implements ContextExporter, ContextProvider {
  /** Default of {@link Builder#table}. */
  public static final String DEFAULT_TABLE = "chord_exports";

  private final Sql sql;
  private final String table;
  private final String exportSql;
  private final String fetchSql;
  private final String deleteSql;

  private JdbcContextStore(Builder b) {
    this.sql = new Sql(b.dataSource, b.timeout);
    this.table = b.table;
    this.exportSql =
        "insert into "
            + table
            + " as t (id, epoch, version, inserted_at, data) values (?, ?, ?, ?, ?::jsonb)"
            + " on conflict (id) do update set epoch = excluded.epoch, version = excluded.version,"
            + " inserted_at = excluded.inserted_at, data = excluded.data"
            + " where t.epoch <> excluded.epoch or t.version < excluded.version";
    this.fetchSql =
        "select epoch, version, inserted_at, data::text from " + table + " where id = ?";
    this.deleteSql = "delete from " + table + " where id = ?";
  }

  /** A store in table {@link #DEFAULT_TABLE}; see {@link #createSchema()}. */
  public static JdbcContextStore create(DataSource dataSource) {
    return builder(dataSource).build();
  }

  /** A builder for a store on {@code dataSource}. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(Objects.requireNonNull(dataSource, "dataSource"));
  }

  /**
   * Creates the table if it is missing; idempotent.
   *
   * @throws BackendException if the database fails
   */
  public void createSchema() {
    sql.script(
        table + "_schema",
        "create table if not exists "
            + table
            + " (id text primary key, epoch text not null, version bigint not null,"
            + " inserted_at bigint not null, data jsonb not null)");
  }

  /**
   * Stores {@code context} unless the row holds a newer version of the same epoch.
   *
   * @throws IllegalArgumentException if the context has no epoch, or holds a string that {@code
   *     jsonb} cannot store (U+0000, an unpaired surrogate)
   * @throws BackendException if the database fails
   */
  @Override
  public void export(Context context) {
    String epoch = context.epoch();
    if (epoch == null) {
      throw new IllegalArgumentException(
          "only stored contexts, which have an epoch, can be exported: '"
              + context.contextId()
              + "'");
    }
    checkJsonb(context.data(), context.contextId());
    String data = TypedJson.jsonbSafe().write(context.data());
    sql.run(
        "export",
        exportSql,
        statement -> {
          statement.setString(1, context.contextId());
          statement.setString(2, epoch);
          statement.setLong(3, context.version());
          statement.setLong(4, context.insertedAt());
          statement.setString(5, data);
          return statement.executeUpdate();
        });
  }

  /**
   * The context last exported under {@code contextId}, with its epoch, version and time.
   *
   * @throws BackendException if the database fails
   */
  @Override
  public Optional<Context> fetch(String contextId) {
    return sql.run(
        "fetch",
        fetchSql,
        statement -> {
          statement.setString(1, contextId);
          try (ResultSet rows = statement.executeQuery()) {
            if (!rows.next()) {
              return Optional.empty();
            }
            Map<String, ?> data = TypedJson.jsonbSafe().readData(rows.getString(4));
            return Optional.of(
                new Context(
                    contextId,
                    rows.getLong(2),
                    Snapshots.freeze(data),
                    rows.getLong(3),
                    rows.getString(1)));
          }
        });
  }

  /**
   * Deletes the row of {@code contextId}, if there is one: {@code Chord.deleteContext} calls this,
   * so that with {@code Chord.Builder#restoreOnMiss} a deleted context does not come back from
   * here.
   *
   * @throws BackendException if the database fails
   */
  @Override
  public void delete(String contextId) {
    int unused =
        sql.run(
            "delete",
            deleteSql,
            statement -> {
              statement.setString(1, contextId);
              return statement.executeUpdate();
            });
  }

  /** Refuses what {@code jsonb} would refuse, before anything is sent. */
  private static void checkJsonb(@Nullable Object value, String contextId) {
    if (value instanceof String s) {
      checkString(s, contextId);
    } else if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        checkString((String) entry.getKey(), contextId);
        checkJsonb(entry.getValue(), contextId);
      }
    } else if (value instanceof List<?> list) {
      for (Object item : list) {
        checkJsonb(item, contextId);
      }
    }
  }

  private static void checkString(String s, String contextId) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean paired =
          Character.isHighSurrogate(c)
              && i + 1 < s.length()
              && Character.isLowSurrogate(s.charAt(i + 1));
      if (paired) {
        i++;
      } else if (c == 0 || Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            "context '"
                + contextId
                + "' holds a string with "
                + (c == 0 ? "U+0000" : "an unpaired surrogate")
                + ", which PostgreSQL jsonb cannot store");
      }
    }
  }

  /** Configures a {@link JdbcContextStore}; values are checked when set. */
  public static final class Builder {
    private final DataSource dataSource;
    private String table = DEFAULT_TABLE;
    private Duration timeout = PostgresBackend.DEFAULT_TIMEOUT;

    private Builder(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    /**
     * The table (default {@code chord_exports}).
     *
     * @throws IllegalArgumentException unless it is 1 to 40 of {@code [a-z0-9_]}, not starting with
     *     a digit
     */
    public Builder table(String table) {
      this.table = Sql.checkName("a table name", Objects.requireNonNull(table, "table"));
      return this;
    }

    /**
     * How long a statement may take before it fails with {@link BackendException} (default 2 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Sql.checkTimeout(Objects.requireNonNull(timeout, "timeout"));
      return this;
    }

    public JdbcContextStore build() {
      return new JdbcContextStore(this);
    }
  }
}
