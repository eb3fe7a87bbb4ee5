package dev.chord.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.chord.BackendException;
import dev.chord.Context;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.Epochs;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.Snapshots;
import dev.chord.tck.RecordingFeed;
import dev.chord.testsupport.PostgresServers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PostgresBackend against other sessions: a create not yet committed, a row lock held past the
 * timeout, a failed commit on a pooled connection, subscriptions coming and going.
 */
class PostgresBackendSessionsIT {
  private static final String PREFIX = TestDb.prefix("pgsess");
  private static final String EPOCH = Epochs.next();
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

  private static PostgresBackend.Builder backend(HikariDataSource on) {
    return PostgresBackend.builder(on).tablePrefix(PREFIX);
  }

  /** A pool of one connection, so that every call after a failed one runs on its session. */
  private static HikariDataSource poolOfOne(@Nullable String initSql) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(PostgresServers.shared());
    config.setMaximumPoolSize(1);
    config.setConnectionTimeout(30_000);
    config.setInitializationFailTimeout(-1);
    if (initSql != null) {
      config.setConnectionInitSql(initSql);
    }
    return new HikariDataSource(config);
  }

  private static Context context(String id, long version, Map<String, ?> data, String epoch) {
    return new Context(id, version, Snapshots.freeze(data), 1000 + version, epoch);
  }

  /** The commit from {@code previous} ({@code null}: a create) to {@code data}. */
  private static Commit commitOf(@Nullable Context previous, String id, Map<String, ?> data) {
    long version = previous == null ? 1 : previous.version() + 1;
    Context next = context(id, version, data, previous == null ? EPOCH : previous.epoch());
    Delta delta = Delta.diff(previous == null ? Map.of() : previous.data(), next.data());
    DeltaRecord record =
        new DeltaRecord(
            id, version, delta, next.insertedAt(), Objects.requireNonNull(next.epoch()));
    return new Commit(next, record, version - 1, 10);
  }

  private static Context commit(
      PostgresBackend backend, @Nullable Context previous, String id, Map<String, ?> data) {
    Commit commit = commitOf(previous, id, data);
    assertThat(backend.commit(commit)).isInstanceOf(CommitResult.Committed.class);
    return commit.context();
  }

  /** Another session that locks the head row of {@code id} until it is closed. */
  private static Connection lockHead(String id) throws SQLException {
    Connection other = TestDb.connect(PostgresServers.shared());
    other.setAutoCommit(false);
    try (PreparedStatement lock =
        other.prepareStatement("select 1 from " + PREFIX + "_contexts where id = ? for update")) {
      lock.setString(1, id);
      lock.execute();
    }
    return other;
  }

  /** Waits until a session runs a statement containing {@code fragment} and waits for a lock. */
  private static void awaitLockWait(String fragment) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              try (Connection c = pool.getConnection();
                  PreparedStatement s =
                      c.prepareStatement(
                          "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                              + " and query like ?")) {
                s.setString(1, "%" + fragment + "%");
                try (ResultSet rows = s.executeQuery()) {
                  rows.next();
                  return rows.getLong(1) > 0;
                }
              }
            });
  }

  @Test
  void restoreIfAbsent_racingAnotherNodesUncommittedCreate_leavesThatCreateAlone()
      throws Exception {
    String id = "absent-" + PREFIX;
    String theirs = Epochs.next();
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try (PostgresBackend backend = backend(pool).timeout(Duration.ofSeconds(30)).build();
        Connection other = TestDb.connect(PostgresServers.shared())) {
      // Another node creates the context (an empty one: a head row, no leaves), not committed yet.
      other.setAutoCommit(false);
      try (PreparedStatement create =
          other.prepareStatement(
              "insert into "
                  + PREFIX
                  + "_contexts (id, epoch, version, inserted_at)"
                  + " values (?, ?, 3, 7)")) {
        create.setString(1, id);
        create.setString(2, theirs);
        create.execute();
      }
      Future<Boolean> restored =
          thread.submit(
              () -> backend.restoreIfAbsent(context(id, 9, Map.of("old", true), Epochs.next())));
      awaitLockWait(PREFIX + "_");
      other.commit();

      assertThat(restored.get(30, TimeUnit.SECONDS)).as("restored over their create").isFalse();
      assertThat(backend.get(id)).contains(new Context(id, 3, Map.of(), 7, theirs));
    } finally {
      thread.shutdownNow();
    }
  }

  @Test
  void aCommitFailingOnALockTimeout_withNotifyAfterCommit_leavesItsPooledConnectionUsable()
      throws Exception {
    String id = "poison-" + PREFIX;
    try (HikariDataSource one = poolOfOne("set lock_timeout = '200ms'");
        PostgresBackend backend =
            backend(one).notifyAfterCommit(true).timeout(Duration.ofSeconds(10)).build()) {
      Context created = commit(backend, null, id, Map.of("n", 0));
      try (Connection other = lockHead(id)) {
        assertThatThrownBy(() -> backend.commit(commitOf(created, id, Map.of("n", 1))))
            .isInstanceOf(BackendException.class)
            .hasMessageContaining("lock timeout");
        other.rollback();
      }

      Context next = commit(backend, created, id, Map.of("n", 1));
      assertThat(backend.get(id)).contains(next);
      commit(backend, null, id + "-2", Map.of("n", 2));
    }
  }

  @Test
  void aPayloadLeftByAFailedNotification_isNotSentWithTheNextCommitsConflict() throws Exception {
    String id = "leak-" + PREFIX;
    try (HikariDataSource one = poolOfOne(null);
        PostgresBackend backend = backend(one).notifyAfterCommit(true).build();
        PostgresBackend listener = backend(pool).build()) {
      Context created = commit(backend, null, id, Map.of("n", 0));
      RecordingFeed feed = new RecordingFeed();
      try (AutoCloseable sub = listener.subscribe(id, feed)) {
        // What a pg_notify that failed after its commit leaves in the session: the payload.
        String stale = Epochs.next();
        try (Connection c = one.getConnection();
            PreparedStatement leave =
                c.prepareStatement("select set_config('chord.feed', ?, false)")) {
          leave.setString(1, "r " + stale + " 0 " + id.length() + " " + id);
          leave.execute();
        }
        // Another node commits version 2; this node's commit of version 2 then conflicts.
        commit(listener, created, id, Map.of("n", 1));
        assertThat(backend.commit(commitOf(created, id, Map.of("n", -1))))
            .isInstanceOf(CommitResult.Conflict.class);
        Context stored = backend.get(id).orElseThrow();
        commit(backend, stored, id, Map.of("n", 2));

        List<String> before = feed.awaitEvent("delta 3", 10);
        assertThat(before).contains("delta 2").doesNotContain("reset 0");
        assertThat(feed.epochs()).doesNotContain(stale);
      }
    }
  }

  @Test
  void aCommitBlockedPastTheTimeout_fails_andIsNotAppliedAfterTheLockIsReleased() throws Exception {
    String id = "blocked-" + PREFIX;
    try (PostgresBackend backend = backend(pool).timeout(Duration.ofMillis(1500)).build();
        PostgresBackend reader = backend(pool).cacheSize(0).build()) {
      Context created = commit(backend, null, id, Map.of("n", 0));
      try (Connection other = lockHead(id)) {
        assertThatThrownBy(() -> backend.commit(commitOf(created, id, Map.of("n", 1))))
            .isInstanceOf(BackendException.class);
        other.rollback();
      }
      // Had PostgreSQL kept the statement running, it would commit right after the release.
      try (Connection c = pool.getConnection();
          PreparedStatement s =
              c.prepareStatement(
                  "select count(*) from pg_stat_activity where query like ? and state = 'active'"
                      + " and pid <> pg_backend_pid()")) {
        s.setString(1, "%" + PREFIX + "_commit%");
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> {
                  try (ResultSet rows = s.executeQuery()) {
                    rows.next();
                    return rows.getLong(1) == 0;
                  }
                });
      }
      assertThat(reader.get(id)).contains(created);
      assertThat(reader.history(id, 0, 10).orElseThrow().version()).isEqualTo(1);
    }
  }

  @Test
  void aSubscriptionTakenWhileAnotherThreadUnsubscribesTheLastFeed_hearsTheNextCommit()
      throws Exception {
    String id = "churn-" + PREFIX;
    ExecutorService churner = Executors.newSingleThreadExecutor();
    AtomicBoolean stop = new AtomicBoolean();
    try (PostgresBackend writer = backend(pool).build();
        PostgresBackend listener = backend(pool).build()) {
      Context last = commit(writer, null, id, Map.of("n", 0));
      // Subscribes and unsubscribes all along: each unsubscribe may empty the context's topic
      // just as the test thread subscribes to it.
      Future<?> churn =
          churner.submit(
              () -> {
                while (!stop.get()) {
                  listener.subscribe(id, new RecordingFeed()).close();
                }
                return null;
              });
      for (int round = 1; round <= 300; round++) {
        RecordingFeed feed = new RecordingFeed();
        try (AutoCloseable sub = listener.subscribe(id, feed)) {
          last = commit(writer, last, id, Map.of("n", round));
          feed.awaitEvent("delta " + last.version(), 10);
        }
      }
      stop.set(true);
      churn.get(30, TimeUnit.SECONDS);
    } finally {
      stop.set(true);
      churner.shutdownNow();
    }
  }

  @Test
  void theListenConnection_isClosedWhenTheLastSubscriberLeaves_andTakenAgainByTheNext()
      throws Exception {
    String id = "idle-" + PREFIX;
    List<Connection> opened = new CopyOnWriteArrayList<>();
    try (PostgresBackend writer = backend(pool).build();
        PostgresBackend listener =
            backend(pool)
                .listenConnection(
                    () -> {
                      Connection c = TestDb.connect(PostgresServers.shared());
                      opened.add(c);
                      return c;
                    })
                .build()) {
      Context last = commit(writer, null, id, Map.of("n", 0));
      RecordingFeed first = new RecordingFeed();
      try (AutoCloseable sub = listener.subscribe(id, first)) {
        last = commit(writer, last, id, Map.of("n", 1));
        first.awaitEvent("delta 2", 10);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> opened.get(0).isClosed());

      RecordingFeed second = new RecordingFeed();
      try (AutoCloseable sub = listener.subscribe(id, second)) {
        last = commit(writer, last, id, Map.of("n", 2));
        second.awaitEvent("delta 3", 10);
      }
      assertThat(opened).hasSize(2);
    }
  }
}
