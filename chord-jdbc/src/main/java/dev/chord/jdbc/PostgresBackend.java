package dev.chord.jdbc;

import dev.chord.BackendException;
import dev.chord.Context;
import dev.chord.DeltaRecord;
import dev.chord.json.TypedJson;
import dev.chord.spi.Backend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ContextInfo;
import dev.chord.spi.ContextPage;
import dev.chord.spi.Feed;
import dev.chord.spi.History;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Backend} on PostgreSQL, so that many application nodes share contexts, versions, deltas
 * and pushes through one database.
 *
 * <pre>{@code
 * PostgresBackend backend = PostgresBackend.create(dataSource); // a pool, e.g. HikariCP
 * backend.createSchema();                                      // or run db/chord/V1__chord_schema.sql
 * Chord chord = Chord.builder().backend(backend).build();
 *
 * PostgresBackend tuned = PostgresBackend.builder(dataSource)
 *     .tablePrefix("app1")                                     // tables app1_contexts, …
 *     .listenConnection(() -> DriverManager.getConnection(url)) // LISTEN outside the pool
 *     .timeout(Duration.ofSeconds(1))
 *     .build();
 * }</pre>
 *
 * <p>Layout (see {@code db/chord/V1__chord_schema.sql} in this jar): a head row per context (id,
 * epoch, version, inserted_at), one row per node of its tree (leaf path, typed JSON value), one row
 * per stored delta. A one-field update writes the head, one leaf row and one delta row, and drops
 * the delta that fell out of the history: O(change), whatever the size of the context.
 *
 * <p>Round trips: every write is one call of one PL/pgSQL function, one statement in one
 * transaction. A commit checks the stored (epoch, version) against the commit's expected ones,
 * deletes and sets the leaves its delta names, appends the delta, trims the history and notifies
 * the other nodes, all or nothing. A read, and a history read for a sync, is one call of one read
 * function, in one snapshot. Each backend keeps the newest copy it knows of the contexts it used
 * ({@link Builder#cacheSize}); the copy is only a hint: {@link #get} sends its (epoch, version) and
 * gets back nothing more, the deltas since or the whole context; {@link #getForCommit} hands it out
 * unchecked, for writers, since the commit function checks what is stored and its conflict reply
 * brings what the copy lacks. So in steady state an update through {@code Chord} is one round trip
 * and a sync is one.
 *
 * <p>Push: {@link #subscribe} listens on the channel {@code <prefix>_feed} with one connection of
 * its own ({@link Builder#listenConnection}); see {@link Notifications}. Commits notify inside
 * their transaction, which PostgreSQL makes concurrent commits pay for (see {@link
 * Builder#notifyAfterCommit}).
 *
 * <p>Failures: a database that fails, is unreachable or does not answer within {@link
 * Builder#timeout} makes a method throw {@link BackendException}; a failed commit stored nothing
 * (it is one transaction, which PostgreSQL cancels at the timeout). A commit whose answer was lost
 * (the connection broke) may still have been applied: the next read tells. The backend holds no
 * connection between calls but the listening one, which it opens again by itself, so it recovers
 * when the database is back. The wait for a connection from the pool is the pool's: set its
 * connection timeout to at most this backend's timeout.
 *
 * <p>Values keep their Java types ({@link TypedJson#jsonbSafe()}); times are stored as Chord gives
 * them, in milliseconds. Instances are thread-safe; {@link #close()} stops the listening thread.
 */
public final class PostgresBackend implements Backend {
  /** Default of {@link Builder#tablePrefix}. */
  public static final String DEFAULT_TABLE_PREFIX = "chord";

  /** Default of {@link Builder#timeout}. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  /** Default of {@link Builder#cacheSize}. */
  public static final int DEFAULT_CACHE_SIZE = 1_000;

  /** The schema file in this jar, for migrations: {@code db/chord/V1__chord_schema.sql}. */
  public static final String SCHEMA_RESOURCE = "/db/chord/V1__chord_schema.sql";

  /** A copy this many versions behind or less catches up by deltas instead of a full read. */
  private static final int MAX_CATCH_UP = 64;

  private final Sql sql;
  private final String prefix;
  private final Notifications notifications;
  private final String readSql;
  private final String commitSql;
  private final String restoreSql;
  private final String deleteSql;
  private final String trimSql;
  private final String listSql;
  private final String deltaSql;

  /** The newest copy this backend knows of each context, least recently used evicted first. */
  private final Map<String, Context> known;

  private final boolean caching;
  private final boolean notifyAfterCommit;
  private volatile boolean closed;

  private PostgresBackend(Builder b) {
    this.sql = new Sql(b.dataSource, b.timeout);
    this.prefix = b.prefix;
    String p = b.prefix;
    this.readSql = "select k, n, t, s, v from " + p + "_read(?, ?, ?, ?, ?)";
    this.notifyAfterCommit = b.notifyAfterCommit;
    String commit =
        "select k, n, t, s, v from " + p + "_commit(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    // One round trip, two transactions: the commit, then the notification the function left in
    // the session (see Builder#notifyAfterCommit).
    this.commitSql =
        notifyAfterCommit
            ? "begin; "
                + commit
                + "; commit; select pg_notify('"
                + p
                + "_feed', current_setting('chord.feed')), set_config('chord.feed', '', false)"
                + " where current_setting('chord.feed', true) <> ''"
            : commit;
    this.restoreSql = "select " + p + "_restore(?, ?, ?, ?, ?, ?, ?)";
    this.deleteSql = "select " + p + "_delete(?, ?, ?)";
    this.trimSql = "select " + p + "_trim(?, ?)";
    this.listSql =
        "select id, version, inserted_at, epoch from "
            + p
            + "_contexts where id > ? order by id limit ?";
    this.deltaSql =
        "select d.delta from "
            + p
            + "_deltas d join "
            + p
            + "_contexts c on c.id = d.id where d.id = ? and d.version = ? and c.epoch = ?";
    int cacheSize = b.cacheSize;
    this.caching = cacheSize > 0;
    this.known =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Context> eldest) {
            return size() > cacheSize;
          }
        };
    Supplier<Connection> listen = b.listenConnection;
    if (listen == null) {
      DataSource dataSource = b.dataSource;
      listen =
          () -> {
            try {
              return dataSource.getConnection();
            } catch (SQLException e) {
              throw new BackendException("cannot connect to listen: " + e.getMessage(), e);
            }
          };
    }
    this.notifications = new Notifications(listen, p + "_feed", b.timeout, this::readDelta);
  }

  /** A backend on {@code dataSource} with every default; see {@link #createSchema()}. */
  public static PostgresBackend create(DataSource dataSource) {
    return builder(dataSource).build();
  }

  /** A builder for a backend on {@code dataSource}. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(Objects.requireNonNull(dataSource, "dataSource"));
  }

  /**
   * Creates the tables and functions of this backend's prefix if they are missing and replaces the
   * functions with this version's; idempotent, and safe when several nodes run it at once. The same
   * DDL, for prefix {@code chord}, is {@link #SCHEMA_RESOURCE} in this jar.
   *
   * @throws BackendException if the database fails
   */
  public void createSchema() {
    sql.script(prefix + "_schema", schema(prefix));
  }

  /** The schema DDL for table prefix {@code prefix}. */
  static String schema(String prefix) {
    return Sql.resource(SCHEMA_RESOURCE).replace("chord_", prefix + "_");
  }

  // ---- reads ----

  @Override
  public Optional<Context> get(String contextId) {
    checkOpen();
    Context held = held(contextId);
    Reply reply =
        held == null
            ? read(contextId, 0, 0, null, 2)
            : read(contextId, held.version(), MAX_CATCH_UP, held.epoch(), 1);
    Optional<Context> now = reply.context(contextId, held);
    if (now.isEmpty()) {
      forget(contextId);
      return now;
    }
    return Optional.of(remember(now.get()));
  }

  /**
   * The newest copy this backend knows, unchecked (the commit function checks what is stored), or
   * else {@link #get}.
   */
  @Override
  public Optional<Context> getForCommit(String contextId) {
    Context held = held(contextId);
    return held != null ? Optional.of(held) : get(contextId);
  }

  @Override
  public Optional<History> history(String contextId, long afterVersion, int maxDeltas) {
    checkOpen();
    Reply reply = read(contextId, afterVersion, maxDeltas, null, 0);
    if (reply.head == null) {
      return Optional.empty();
    }
    return Optional.of(
        new History(
            reply.head.version, reply.head.insertedAt, reply.deltas(contextId), reply.head.epoch));
  }

  private Reply read(String contextId, long after, int max, @Nullable String knownEpoch, int mode) {
    return sql.run(
        "read",
        readSql,
        statement -> {
          statement.setString(1, contextId);
          statement.setLong(2, after);
          statement.setInt(3, max);
          statement.setString(4, knownEpoch);
          statement.setInt(5, mode);
          try (ResultSet rows = statement.executeQuery()) {
            return Reply.of(rows);
          }
        });
  }

  /** The delta of one version of incarnation {@code epoch}, if it is still stored. */
  private Optional<DeltaRecord> readDelta(String contextId, String epoch, long version) {
    return sql.run(
        "delta read",
        deltaSql,
        statement -> {
          statement.setString(1, contextId);
          statement.setLong(2, version);
          statement.setString(3, epoch);
          try (ResultSet rows = statement.executeQuery()) {
            if (!rows.next()) {
              return Optional.empty();
            }
            DeltaRecord record = Leaves.JSON.readDeltaMessage(contextId, rows.getString(1), epoch);
            return Optional.of(record);
          }
        });
  }

  // ---- writes ----

  @Override
  public CommitResult commit(Commit commit) {
    checkOpen();
    String id = commit.contextId();
    Context held = held(id);
    Leaves.Writes writes = Leaves.of(commit.delta());
    Context context = commit.context();
    Reply reply =
        sql.run(
            "commit",
            commitSql,
            statement -> {
              Connection c = statement.getConnection();
              statement.setString(1, id);
              statement.setLong(2, commit.expectedVersion());
              statement.setString(3, commit.expectedEpoch());
              statement.setString(4, context.epoch());
              statement.setLong(5, context.insertedAt());
              statement.setInt(6, commit.maxDeltas());
              statement.setArray(7, c.createArrayOf("text", writes.deletes().toArray()));
              statement.setArray(8, c.createArrayOf("text", writes.paths().toArray()));
              statement.setArray(9, c.createArrayOf("text", writes.values().toArray()));
              statement.setString(10, writes.message());
              statement.setString(11, held == null ? null : held.epoch());
              if (held == null) {
                statement.setNull(12, Types.BIGINT);
              } else {
                statement.setLong(12, held.version());
              }
              statement.setInt(13, MAX_CATCH_UP);
              statement.setBoolean(14, notifyAfterCommit);
              if (!notifyAfterCommit) {
                try (ResultSet rows = statement.executeQuery()) {
                  return Reply.of(rows);
                }
              }
              // begin; the commit's rows; commit; the notification: the second result is ours.
              Reply result = null;
              boolean isRows = statement.execute();
              while (isRows || statement.getUpdateCount() != -1) {
                if (isRows && result == null) {
                  try (ResultSet rows = statement.getResultSet()) {
                    result = Reply.of(rows);
                  }
                }
                isRows = statement.getMoreResults();
              }
              if (result == null) {
                throw new SQLException("the commit function returned no rows");
              }
              return result;
            });
    if (reply.committed) {
      remember(context);
      return CommitResult.COMMITTED;
    }
    Optional<Context> current = reply.context(id, held);
    if (current.isEmpty()) {
      forget(id);
      return new CommitResult.Conflict(Optional.empty());
    }
    return new CommitResult.Conflict(Optional.of(remember(current.get())));
  }

  /** Stores {@code context} with its own epoch and time; subscribers everywhere get a reset. */
  @Override
  public void restore(Context context) {
    restore(context, false);
  }

  /**
   * A restore that the restore function refuses, in the same statement, if a head row of that id
   * exists: atomic across nodes (a racing restore or create waits on the id's unique index).
   */
  @Override
  public boolean restoreIfAbsent(Context context) {
    return restore(context, true);
  }

  private boolean restore(Context context, boolean onlyIfAbsent) {
    checkOpen();
    String epoch = Objects.requireNonNull(context.epoch(), "a restored context needs its epoch");
    List<String> paths = new ArrayList<>();
    List<String> values = new ArrayList<>();
    Leaves.rowsOf(context.data(), paths, values);
    boolean restored =
        sql.run(
            "restore",
            restoreSql,
            statement -> {
              Connection c = statement.getConnection();
              statement.setString(1, context.contextId());
              statement.setString(2, epoch);
              statement.setLong(3, context.version());
              statement.setLong(4, context.insertedAt());
              statement.setArray(5, c.createArrayOf("text", paths.toArray()));
              statement.setArray(6, c.createArrayOf("text", values.toArray()));
              statement.setBoolean(7, onlyIfAbsent);
              try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
              }
            });
    if (restored && caching) {
      synchronized (known) {
        // Replaces the copy even if it is of a higher version: a restore may go back.
        known.put(context.contextId(), context);
      }
    }
    return restored;
  }

  @Override
  public boolean delete(String contextId) {
    return deleteAt(contextId, null, 0);
  }

  @Override
  public boolean deleteIf(String contextId, String epoch, long version) {
    return deleteAt(contextId, Objects.requireNonNull(epoch, "epoch"), version);
  }

  private boolean deleteAt(String contextId, @Nullable String epoch, long version) {
    checkOpen();
    boolean deleted =
        sql.run(
            "delete",
            deleteSql,
            statement -> {
              statement.setString(1, contextId);
              statement.setString(2, epoch);
              statement.setLong(3, version);
              try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
              }
            });
    if (deleted) {
      forget(contextId);
    }
    return deleted;
  }

  /** Drops old deltas; {@code insertedBefore} is in milliseconds, as the times are stored. */
  @Override
  public long deleteDeltasBefore(String contextId, long insertedBefore) {
    checkOpen();
    return sql.run(
        "delta trim",
        trimSql,
        statement -> {
          statement.setString(1, contextId);
          statement.setLong(2, insertedBefore);
          try (ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getLong(1);
          }
        });
  }

  /** Pages through the contexts in id order; the cursor is the last id of the page. */
  @Override
  public ContextPage listContexts(@Nullable String cursor, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    checkOpen();
    List<ContextInfo> infos =
        sql.run(
            "listing",
            listSql,
            statement -> {
              statement.setString(1, cursor == null ? "" : cursor);
              statement.setInt(2, limit);
              List<ContextInfo> out = new ArrayList<>();
              try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                  out.add(
                      new ContextInfo(
                          rows.getString(1), rows.getLong(2), rows.getLong(3), rows.getString(4)));
                }
              }
              return out;
            });
    String next = infos.size() < limit ? null : infos.get(infos.size() - 1).contextId();
    return new ContextPage(infos, next);
  }

  // ---- push ----

  /**
   * Tells {@code feed} of the deltas committed to the context by any node, and of its deletes and
   * restores by any node (resets), through {@code LISTEN}/{@code NOTIFY}, in commit order, on a
   * delivery thread of this backend. Returns once the channel is listened to. After the listening
   * connection was lost, or when more than {@code Notifications.MAX_QUEUED} messages wait for the
   * feed, it gets a reset without epoch, so that Chord reads what it missed.
   *
   * @throws BackendException if PostgreSQL cannot be listened to within the timeout
   */
  @Override
  public AutoCloseable subscribe(String contextId, Feed feed) {
    Objects.requireNonNull(feed, "feed");
    checkOpen();
    return notifications.subscribe(contextId, feed);
  }

  /** Stops the listening and delivery threads. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    notifications.close();
    synchronized (known) {
      known.clear();
    }
  }

  // ---- the copy ----

  private @Nullable Context held(String contextId) {
    if (!caching) {
      return null;
    }
    synchronized (known) {
      return known.get(contextId);
    }
  }

  private void forget(String contextId) {
    if (caching) {
      synchronized (known) {
        known.remove(contextId);
      }
    }
  }

  /**
   * Keeps {@code now} as the known copy unless a newer one of the same epoch is held: readers and
   * writers may finish in any order, and an older copy of one incarnation must not replace a newer
   * one (a copy of another incarnation always does: the newest read wins).
   */
  private Context remember(Context now) {
    if (caching) {
      synchronized (known) {
        known.merge(
            now.contextId(),
            now,
            (old, fresh) ->
                Objects.equals(old.epoch(), fresh.epoch()) && old.version() > fresh.version()
                    ? old
                    : fresh);
      }
    }
    return now;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this PostgresBackend is closed");
    }
  }

  /** The rows of a read or commit function: see the schema file. */
  private static final class Reply {
    boolean committed;
    @Nullable Head head;
    final List<String> deltaMessages = new ArrayList<>();
    final List<String> paths = new ArrayList<>();
    final List<String> values = new ArrayList<>();

    record Head(long version, long insertedAt, String epoch) {}

    static Reply of(ResultSet rows) throws SQLException {
      Reply reply = new Reply();
      while (rows.next()) {
        switch (rows.getString(1)) {
          case "c" -> reply.committed = true;
          case "h" -> reply.head = new Head(rows.getLong(2), rows.getLong(3), rows.getString(4));
          case "d" -> reply.deltaMessages.add(rows.getString(5));
          case "l" -> {
            reply.paths.add(rows.getString(4));
            reply.values.add(rows.getString(5));
          }
          default -> throw new SQLException("unexpected row kind " + rows.getString(1));
        }
      }
      return reply;
    }

    List<DeltaRecord> deltas(String contextId) {
      Head h = Objects.requireNonNull(head);
      List<DeltaRecord> out = new ArrayList<>(deltaMessages.size());
      for (String message : deltaMessages) {
        out.add(Leaves.JSON.readDeltaMessage(contextId, message, h.epoch));
      }
      return out;
    }

    /**
     * The context the reply describes, given the copy the call sent the (epoch, version) of: that
     * copy if it is current, that copy with the deltas applied, or the context rebuilt from its
     * leaves.
     */
    Optional<Context> context(String contextId, @Nullable Context held) {
      if (head == null) {
        return Optional.empty();
      }
      Head h = head;
      if (held != null && h.epoch.equals(held.epoch()) && h.version == held.version()) {
        return Optional.of(held);
      }
      if (!deltaMessages.isEmpty()) {
        Map<String, @Nullable Object> data = Objects.requireNonNull(held).data();
        for (DeltaRecord record : deltas(contextId)) {
          data = record.delta().applyTo(data);
        }
        return Optional.of(new Context(contextId, h.version, data, h.insertedAt, h.epoch));
      }
      return Optional.of(
          new Context(contextId, h.version, Leaves.rebuild(paths, values), h.insertedAt, h.epoch));
    }
  }

  /** Configures a {@link PostgresBackend}; values are checked when set. */
  public static final class Builder {
    private final DataSource dataSource;
    private String prefix = DEFAULT_TABLE_PREFIX;
    private @Nullable Supplier<Connection> listenConnection;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int cacheSize = DEFAULT_CACHE_SIZE;
    private boolean notifyAfterCommit;

    private Builder(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    /**
     * The first part of every table, function and channel name (default {@code chord}): tables
     * {@code <prefix>_contexts}, {@code <prefix>_leaves}, {@code <prefix>_deltas}, channel {@code
     * <prefix>_feed}. Lets several applications share one database.
     *
     * @throws IllegalArgumentException unless it is 1 to 40 of {@code [a-z0-9_]}, not starting with
     *     a digit
     */
    public Builder tablePrefix(String prefix) {
      this.prefix = Sql.checkName("a table prefix", Objects.requireNonNull(prefix, "prefix"));
      return this;
    }

    /**
     * Where the connection that {@code LISTEN}s comes from (default: the data source). It is held
     * for as long as the backend has subscribers (closed within a second of the last one leaving,
     * taken again by the next), and opened again after it breaks, so a direct connection ({@code
     * DriverManager.getConnection(url)}) is better than one taken from a small pool. It must be a
     * PostgreSQL driver connection (or unwrap to one). The supplier may throw unchecked exceptions;
     * the backend retries.
     */
    public Builder listenConnection(Supplier<Connection> connections) {
      this.listenConnection = Objects.requireNonNull(connections, "connections");
      return this;
    }

    /**
     * How long a statement may take before it fails with {@link BackendException} (default 2 s);
     * also how soon a silent listening connection is noticed. A little before it (a fifth of it, at
     * most 250 ms) PostgreSQL is asked to cancel the statement, which rolls it back: a call that
     * failed on its timeout while PostgreSQL still answers did not write.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Sql.checkTimeout(Objects.requireNonNull(timeout, "timeout"));
      return this;
    }

    /**
     * At most how many contexts' copies this node keeps (default 1,000); 0 keeps none, so every
     * read transfers the whole context and an update reads before it writes.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder cacheSize(int contexts) {
      if (contexts < 0) {
        throw new IllegalArgumentException("cacheSize must be at least 0, was " + contexts);
      }
      this.cacheSize = contexts;
      return this;
    }

    /**
     * Whether a commit's notification is sent in a second transaction right after the commit, in
     * the same round trip (default {@code false}: inside the commit's transaction). PostgreSQL
     * holds a database-wide lock from a notifying transaction's pre-commit until its commit record
     * is flushed, so notifying commits go one WAL flush at a time; sent after the commit, they
     * share flushes again and concurrent updates scale (see BENCHMARKS.md). The price:
     * notifications of commits by different nodes may reach listeners out of commit order, a reset
     * before a late delta of the incarnation it ended ({@code Chord} drops such deltas), and a
     * commit whose connection breaks between the two transactions is stored but not notified, so
     * other nodes' subscribers hear of it only with the next change of that context.
     */
    public Builder notifyAfterCommit(boolean later) {
      this.notifyAfterCommit = later;
      return this;
    }

    /** The backend; it connects on first use (call {@link #createSchema()} first if needed). */
    public PostgresBackend build() {
      return new PostgresBackend(this);
    }
  }
}
