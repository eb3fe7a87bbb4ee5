package dev.chord.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.chord.Chord;
import dev.chord.ContextUpdate;
import dev.chord.SyncResult;
import dev.chord.jdbc.PostgresBackend;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Chord on PostgreSQL next to the floor of the same database and pool: {@code updateContext} of one
 * participant's status and {@code syncContext} from 10 versions behind, at 1 and 16 concurrent
 * callers (each caller on its own 50-participant room, so callers do not conflict), the update
 * again with {@code notifyAfterCommit(true)}, and the floor: a transaction of one {@code UPDATE …
 * WHERE id = ? AND version = ?} on one row per caller (auto commit, a connection taken from the
 * same HikariCP pool per call, as the backend does). Scores are operations per second over all
 * callers. {@code bench/run.sh} starts a private PostgreSQL and passes its URL.
 *
 * <pre>
 * java -jar chord-bench/target/benchmarks.jar PostgresBenchmark \
 *     -p jdbcUrl='jdbc:postgresql://127.0.0.1:5432/test?user=postgres'
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PostgresBenchmark {
  static final String PREFIX = "chord_bench";
  private static final int ROOMS = 16;
  private static final int BEHIND = 10;

  /** One Chord on PostgreSQL with 16 rooms, the floor's table, and the pool both use. */
  @State(Scope.Benchmark)
  public static class Server {
    @Param("jdbc:postgresql://127.0.0.1:5432/test?user=postgres")
    public String jdbcUrl;

    HikariDataSource pool;
    Chord chord;

    /** The same, with {@code notifyAfterCommit(true)}, on rooms of its own. */
    Chord later;

    @Setup
    public void setUp() throws SQLException {
      pool = pool(jdbcUrl, 20);
      PostgresBackend backend =
          PostgresBackend.builder(pool)
              .tablePrefix(PREFIX)
              .listenConnection(() -> connect(jdbcUrl))
              .build();
      backend.createSchema();
      chord = Chord.builder().backend(backend).build();
      later =
          Chord.builder()
              .backend(
                  PostgresBackend.builder(pool)
                      .tablePrefix(PREFIX)
                      .notifyAfterCommit(true)
                      .listenConnection(() -> connect(jdbcUrl))
                      .build())
              .build();
      for (int i = 0; i < ROOMS; i++) {
        chord.setContext(room(i), TeamRoom.room(room(i)));
        later.setContext(laterRoom(i), TeamRoom.room(laterRoom(i)));
      }
      try (Connection c = pool.getConnection();
          Statement s = c.createStatement()) {
        s.execute(
            "create table if not exists "
                + PREFIX
                + "_floor (id text primary key, version bigint not null)");
      }
    }

    @TearDown
    public void tearDown() {
      chord.close();
      later.close();
      pool.close();
    }
  }

  /** One caller: its own room, its own values, a client version 10 behind, its own floor row. */
  @State(Scope.Thread)
  public static class Caller {
    String room;
    String laterRoom;
    StatusChanges changes;
    Long tenBehind;
    String epoch;
    String floorRow;
    long floorVersion;

    @Setup
    public void setUp(Server server, ThreadParams thread) throws SQLException {
      room = room(thread.getThreadIndex() % ROOMS);
      laterRoom = laterRoom(thread.getThreadIndex() % ROOMS);
      changes = new StatusChanges(TeamRoom.PARTICIPANTS, "t" + thread.getThreadIndex() + "_");
      ContextUpdate last = null;
      for (int i = 0; i < BEHIND; i++) {
        last = server.chord.updateContext(room, changes.next());
      }
      tenBehind = last.context().version() - BEHIND;
      epoch = last.context().epoch();
      floorRow = "t" + thread.getThreadIndex();
      try (Connection c = server.pool.getConnection();
          PreparedStatement s =
              c.prepareStatement(
                  "insert into "
                      + PREFIX
                      + "_floor values (?, 0) on conflict (id) do update set version = 0")) {
        s.setString(1, floorRow);
        s.execute();
      }
      floorVersion = 0;
    }
  }

  static String room(int i) {
    return "room:" + i;
  }

  static String laterRoom(int i) {
    return "later:" + i;
  }

  static HikariDataSource pool(String url, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(size);
    config.setConnectionTimeout(PostgresBackend.DEFAULT_TIMEOUT.toMillis());
    return new HikariDataSource(config);
  }

  static Connection connect(String url) {
    try {
      return DriverManager.getConnection(url);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The floor: one single-row, version-checked UPDATE in its own transaction. */
  static int floor(Server server, Caller caller) throws SQLException {
    try (Connection c = server.pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "update "
                    + PREFIX
                    + "_floor set version = version + 1 where id = ? and version = ?")) {
      s.setString(1, caller.floorRow);
      s.setLong(2, caller.floorVersion);
      int updated = s.executeUpdate();
      if (updated != 1) {
        throw new IllegalStateException("the floor row moved under its only caller");
      }
      caller.floorVersion++;
      return updated;
    }
  }

  @Benchmark
  @Threads(1)
  public ContextUpdate update1Caller(Server server, Caller caller) {
    return server.chord.updateContext(caller.room, caller.changes.next());
  }

  @Benchmark
  @Threads(16)
  public ContextUpdate update16Callers(Server server, Caller caller) {
    return server.chord.updateContext(caller.room, caller.changes.next());
  }

  @Benchmark
  @Threads(1)
  public ContextUpdate updateNotifyAfterCommit1Caller(Server server, Caller caller) {
    return server.later.updateContext(caller.laterRoom, caller.changes.next());
  }

  @Benchmark
  @Threads(16)
  public ContextUpdate updateNotifyAfterCommit16Callers(Server server, Caller caller) {
    return server.later.updateContext(caller.laterRoom, caller.changes.next());
  }

  @Benchmark
  @Threads(1)
  public SyncResult sync1Caller(Server server, Caller caller) {
    return server.chord.syncContext(caller.room, caller.tenBehind, caller.epoch);
  }

  @Benchmark
  @Threads(16)
  public SyncResult sync16Callers(Server server, Caller caller) {
    return server.chord.syncContext(caller.room, caller.tenBehind, caller.epoch);
  }

  @Benchmark
  @Threads(1)
  public int floor1Caller(Server server, Caller caller) throws SQLException {
    return floor(server, caller);
  }

  @Benchmark
  @Threads(16)
  public int floor16Callers(Server server, Caller caller) throws SQLException {
    return floor(server, caller);
  }
}
