package dev.chord.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.ContextUpdate;
import dev.chord.DeltaRecord;
import dev.chord.SyncResult;
import dev.chord.spi.History;
import dev.chord.tck.RecordingFeed;
import dev.chord.testsupport.PostgresServers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/** What PostgresBackend adds to the contract: cost per call, NOTIFY limits, nodes, reconnects. */
class PostgresBackendIT {
  private static final String PREFIX = TestDb.prefix("pgit");
  private static HikariDataSource pool;

  @BeforeAll
  static void createSchema() {
    pool = TestDb.pool();
    PostgresBackend backend = PostgresBackend.builder(pool).tablePrefix(PREFIX).build();
    backend.createSchema();
    backend.createSchema();
  }

  @AfterAll
  static void dropSchema() {
    pool.close();
    TestDb.drop(PREFIX);
  }

  private static PostgresBackend.Builder backend() {
    return PostgresBackend.builder(pool).tablePrefix(PREFIX);
  }

  private static Map<String, Object> participants(int count) {
    Map<String, Object> people = new HashMap<>();
    for (int i = 0; i < count; i++) {
      people.put("p" + i, Map.of("name", "Participant " + i, "status", "idle", "score", i));
    }
    return Map.of("participants", people, "title", "room");
  }

  @Test
  void updateAndSync_inSteadyState_areOneStatementEach() {
    assertOneStatementEach(false);
  }

  @Test
  void updateAndSync_withNotifyAfterCommit_areStillOneStatementEach_andNotify() throws Exception {
    assertOneStatementEach(true);
    String id = "later-" + PREFIX;
    try (PostgresBackend listener = backend().build();
        Chord chord = Chord.builder().backend(backend().notifyAfterCommit(true).build()).build()) {
      chord.setContext(id, Map.of("n", 0));
      RecordingFeed feed = new RecordingFeed();
      try (AutoCloseable sub = listener.subscribe(id, feed)) {
        chord.updateContext(id, Map.of("n", 1));
        chord.updateContext(id, Map.of("n", "x".repeat(10_000)));
        feed.awaitEvent("delta 2", 10);
        feed.awaitEvent("delta 3", 10);
        chord.deleteContext(id);
        feed.awaitEvent("reset 0", 10);
      }
    }
  }

  private static void assertOneStatementEach(boolean notifyAfterCommit) {
    CountingDataSource counting = new CountingDataSource(pool);
    // The listening connection comes from elsewhere: its heartbeat is not a call of the API.
    try (Chord chord =
        Chord.builder()
            .backend(
                PostgresBackend.builder(counting.dataSource())
                    .tablePrefix(PREFIX)
                    .notifyAfterCommit(notifyAfterCommit)
                    .listenConnection(() -> TestDb.connect(PostgresServers.shared()))
                    .build())
            .build()) {
      String id = "count-" + notifyAfterCommit + "-" + PREFIX;
      chord.setContext(id, participants(100));
      ContextUpdate warm = chord.updateContext(id, Map.of("title", "warm"));

      long before = counting.statements();
      ContextUpdate update =
          chord.updateContext(id, Map.of("participants", Map.of("p7", Map.of("status", "busy"))));
      long afterUpdate = counting.statements();
      SyncResult sync = chord.syncContext(id, warm.context().version(), warm.context().epoch());
      long afterSync = counting.statements();

      assertThat(update.changed()).isTrue();
      assertThat(afterUpdate - before).as("statements per update").isEqualTo(1);
      assertThat(sync).isInstanceOf(SyncResult.Patch.class);
      assertThat(afterSync - afterUpdate).as("statements per sync").isEqualTo(1);
    }
  }

  @Test
  void oneFieldUpdate_ofALargeContext_writesOneLeafRowAndOneDeltaRow() throws SQLException {
    try (Chord chord = Chord.builder().backend(backend().build()).build()) {
      String id = "large-" + PREFIX;
      chord.setContext(id, participants(10_000));
      chord.updateContext(id, Map.of("participants", Map.of("p42", Map.of("status", "busy"))));

      try (Connection c = pool.getConnection();
          PreparedStatement written =
              c.prepareStatement(
                  "select (select count(*) from "
                      + PREFIX
                      + "_leaves l where l.id = h.id and l.xmin = h.xmin),"
                      + " (select count(*) from "
                      + PREFIX
                      + "_deltas d where d.id = h.id and d.xmin = h.xmin),"
                      + " (select count(*) from "
                      + PREFIX
                      + "_leaves l where l.id = h.id)"
                      + " from "
                      + PREFIX
                      + "_contexts h where h.id = ?")) {
        written.setString(1, id);
        try (ResultSet rows = written.executeQuery()) {
          assertThat(rows.next()).isTrue();
          assertThat(rows.getLong(1)).as("leaf rows the update wrote").isEqualTo(1);
          assertThat(rows.getLong(2)).as("delta rows the update wrote").isEqualTo(1);
          assertThat(rows.getLong(3)).as("leaf rows of the context").isEqualTo(40_002);
        }
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> people =
          (Map<String, Object>) chord.getContext(id).orElseThrow().data().get("participants");
      assertThat(people).hasSize(10_000);
      assertThat(people.get("p42"))
          .isEqualTo(Map.of("name", "Participant 42", "status", "busy", "score", 42L));
    }
  }

  @Test
  void aDeltaTooLargeForNotify_reachesAPeerRead_fromTheTable() throws Exception {
    String id = "big-" + PREFIX;
    try (PostgresBackend writer = backend().build();
        PostgresBackend listener = backend().build();
        Chord chord = Chord.builder().backend(writer).build()) {
      chord.setContext(id, Map.of("small", 1));
      RecordingFeed feed = new RecordingFeed();
      List<DeltaRecord> records = Collections.synchronizedList(new ArrayList<>());
      try (AutoCloseable sub =
          listener.subscribe(
              id,
              new dev.chord.spi.Feed() {
                @Override
                public void onDelta(DeltaRecord record) {
                  records.add(record);
                  feed.onDelta(record);
                }

                @Override
                public void onReset(String epoch, long version) {
                  feed.onReset(epoch, version);
                }
              })) {
        String large = "x".repeat(20_000);
        chord.updateContext(id, Map.of("large", large));
        chord.updateContext(id, Map.of("small", 2));

        feed.awaitEvent("delta 2", 10);
        feed.awaitEvent("delta 3", 10);
        assertThat(records.get(0).delta().changes().get(0).value()).isEqualTo(large);
        assertThat(records.get(1).delta().changes().get(0).value()).isEqualTo(2L);
      }
    }
  }

  @Test
  void twoNodes_fourThreadsEach_racingOnOneContext_loseNothing() throws Exception {
    String id = "race-" + PREFIX;
    int perThread = 25;
    try (Chord one = Chord.builder().backend(backend().build()).deltaThreshold(500).build();
        Chord two = Chord.builder().backend(backend().build()).deltaThreshold(500).build()) {
      one.setContext(id, Map.of("counters", Map.of()));
      ExecutorService threads = Executors.newFixedThreadPool(8);
      List<Future<List<Long>>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        Chord node = t % 2 == 0 ? one : two;
        String key = "t" + t;
        results.add(
            threads.submit(
                () -> {
                  List<Long> versions = new ArrayList<>();
                  for (int i = 1; i <= perThread; i++) {
                    ContextUpdate u =
                        node.updateContext(id, Map.of("counters", Map.of(key, (long) i)));
                    versions.add(u.context().version());
                  }
                  return versions;
                }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> result : results) {
        all.addAll(result.get(120, TimeUnit.SECONDS));
      }
      threads.shutdown();

      Collections.sort(all);
      List<Long> expected = new ArrayList<>();
      for (long v = 2; v <= 1 + 8 * perThread; v++) {
        expected.add(v);
      }
      assertThat(all).as("every update got its own version, none skipped").isEqualTo(expected);
      Context stored = two.getContext(id).orElseThrow();
      assertThat(stored.version()).isEqualTo(1 + 8 * perThread);
      Map<String, Object> counters = new HashMap<>();
      for (int t = 0; t < 8; t++) {
        counters.put("t" + t, (long) perThread);
      }
      assertThat(stored.data().get("counters")).isEqualTo(counters);
      try (PostgresBackend reader = backend().build()) {
        History history = reader.history(id, 1, 1000).orElseThrow();
        List<Long> versions = history.deltas().stream().map(DeltaRecord::version).toList();
        assertThat(versions).isEqualTo(expected);
      }
    }
  }

  @Test
  void aDroppedListenConnection_reconnects_signalsAReRead_andDeliversAgain() throws Exception {
    String id = "drop-" + PREFIX;
    AtomicReference<Connection> listening = new AtomicReference<>();
    try (PostgresBackend writer = backend().build();
        PostgresBackend listener =
            backend()
                .listenConnection(
                    () -> {
                      Connection c = TestDb.connect(PostgresServers.shared());
                      listening.set(c);
                      return c;
                    })
                .build();
        Chord chord = Chord.builder().backend(writer).build()) {
      chord.setContext(id, Map.of("n", 0));
      RecordingFeed feed = new RecordingFeed();
      try (AutoCloseable sub = listener.subscribe(id, feed)) {
        chord.updateContext(id, Map.of("n", 1));
        feed.awaitEvent("delta 2", 10);

        int pid = listening.get().unwrap(PGConnection.class).getBackendPID();
        try (Connection admin = pool.getConnection();
            Statement s = admin.createStatement()) {
          s.execute("select pg_terminate_backend(" + pid + ")");
        }
        feed.awaitEvent("reset -1", 15);
        assertThat(feed.epochsOf("reset -1")).containsOnlyNulls();

        chord.updateContext(id, Map.of("n", 2));
        feed.awaitEvent("delta 3", 10);
      }
    }
  }

  @Test
  void createSchema_isIdempotent_andTheJarShipsTheSameDdl() {
    backend().build().createSchema();
    assertThat(PostgresBackend.schema("chord"))
        .isEqualTo(Sql.resource(PostgresBackend.SCHEMA_RESOURCE))
        .contains("create or replace function chord_commit");
    assertThat(PostgresBackend.schema("app1")).contains("app1_commit").doesNotContain("chord_");
  }

  @Test
  void builder_rejectsBadValues() {
    assertThatThrownBy(() -> backend().tablePrefix("Bad-Prefix"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Bad-Prefix");
    assertThatThrownBy(() -> backend().timeout(java.time.Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> backend().cacheSize(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
