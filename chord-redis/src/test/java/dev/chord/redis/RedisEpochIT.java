package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.BackendException;
import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.ContextUpdate;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.Epochs;
import dev.chord.SyncResult;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ForwardingBackend;
import dev.chord.spi.History;
import dev.chord.spi.Snapshots;
import dev.chord.tck.RecordingFeed;
import dev.chord.testsupport.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Epochs and times on Redis: the script checks every commit against the stored (epoch, version)
 * whatever the node holds, resets name their epochs, and times are stored in milliseconds so that
 * nodes with different time units agree.
 */
class RedisEpochIT {
  private static final String PREFIX =
      "chord-epoch-" + UUID.randomUUID().toString().substring(0, 8);

  /** The time test's own keys: its cleanup pass must meet no other test's contexts. */
  private static final String TIMES_PREFIX = PREFIX + "-times";

  @AfterAll
  static void deleteKeys() {
    TestKeys.deleteKeys(RedisServers.standalone(), false, PREFIX);
    TestKeys.deleteKeys(RedisServers.standalone(), false, TIMES_PREFIX);
  }

  private static RedisBackend node() {
    return node(PREFIX);
  }

  private static RedisBackend node(String prefix) {
    return RedisBackend.builder(RedisServers.standalone()).keyPrefix(prefix).build();
  }

  /** A node that keeps no copies: every commit it makes is judged by the script alone. */
  private static RedisBackend uncachedNode() {
    return RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX).cacheSize(0).build();
  }

  /** The commit of {@code data} computed from {@code base}, as Chord would build it. */
  private static Commit commitOn(Context base, Map<String, Object> data, long at) {
    Context next =
        new Context(base.contextId(), base.version() + 1, Snapshots.freeze(data), at, base.epoch());
    return new Commit(next, deltaOf(base.data(), next), base.version(), 100);
  }

  /** The commit that creates {@code context} (version 1). */
  private static Commit creating(Context context) {
    return new Commit(context, deltaOf(Map.of(), context), 0, 100);
  }

  /** The record of the commit from {@code before} to {@code after}. */
  static DeltaRecord deltaOf(Map<String, Object> before, Context after) {
    return new DeltaRecord(
        after.contextId(),
        after.version(),
        Delta.diff(before, after.data()),
        after.insertedAt(),
        after.epoch());
  }

  private static Map<String, Object> with(Map<String, Object> data, String key, Object value) {
    Map<String, Object> out = new HashMap<>(data);
    out.put(key, value);
    return out;
  }

  /** The stored data hash, field by field: what a corrupting write would leave stray fields in. */
  private static Map<String, String> dataHash(String id) {
    RedisClient client = RedisClient.create(RedisServers.standalone());
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      return connection.sync().hgetall(new Keys(PREFIX).of(id)[1]);
    } finally {
      client.shutdown();
    }
  }

  private static Map<String, String> fieldsOf(Map<String, Object> data) {
    List<String> pairs = LeafLayout.fieldsOf(data);
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < pairs.size(); i += 2) {
      out.put(pairs.get(i), pairs.get(i + 1));
    }
    return out;
  }

  /** Asserts that {@code id} is stored as exactly {@code expected}, its data hash included. */
  private static void assertStored(String id, Context expected) {
    try (RedisBackend fresh = node()) {
      Context stored = fresh.get(id).orElseThrow();
      assertThat(stored).isEqualTo(expected);
      assertThat(dataHash(id)).isEqualTo(fieldsOf(expected.data()));
      History history = fresh.history(id, 0, 100).orElseThrow();
      assertThat(history.epoch()).isEqualTo(expected.epoch());
      assertThat(history.deltas()).allMatch(d -> d.epoch().equals(expected.epoch()));
    }
  }

  /**
   * Node A keeps no copy (cacheSize 0). Node B deletes the context and creates it again at version
   * 1. A's commit, computed from the old incarnation's version 1, is a conflict carrying the new
   * incarnation, and the new one is left exactly as B wrote it (before the script checked the epoch
   * always, this write landed on it and left the old structure's fields in its hash).
   */
  @Test
  void uncachedNode_commitFromAnIncarnationDeletedAndRecreated_conflicts() {
    String id = "recreated-" + UUID.randomUUID();
    try (RedisBackend a = uncachedNode();
        RedisBackend bBackend = node();
        Chord b = Chord.builder().backend(bBackend).build()) {
      b.setContext(id, Map.of("a", Map.of("x", 1, "y", 2)));
      Context old = a.get(id).orElseThrow();
      b.deleteContext(id);
      b.setContext(id, Map.of("a", 5));
      Context recreated = bBackend.get(id).orElseThrow();
      assertThat(recreated.version()).isEqualTo(old.version());
      assertThat(recreated.epoch()).isNotEqualTo(old.epoch());

      @SuppressWarnings("unchecked")
      Map<String, Object> changed = with((Map<String, Object>) old.data().get("a"), "x", 3L);
      CommitResult result = a.commit(commitOn(old, Map.of("a", changed), 77));

      assertThat(result).isEqualTo(new CommitResult.Conflict(Optional.of(recreated)));
      assertStored(id, recreated);
    }
  }

  /**
   * The same after node B restores the context at the version A's copy has: A's commit from before
   * the restore conflicts and the restored context stays as restored.
   */
  @Test
  void uncachedNode_commitFromBeforeARestoreAtTheSameVersion_conflicts() {
    String id = "restored-" + UUID.randomUUID();
    try (RedisBackend a = uncachedNode();
        RedisBackend bBackend = node();
        Chord b = Chord.builder().backend(bBackend).build()) {
      b.setContext(id, Map.of("list", List.of(1, 2), "m", Map.of("k", "v")));
      b.updateContext(id, Map.of("n", 1));
      Context old = a.get(id).orElseThrow();
      Context restored =
          new Context(
              id, old.version(), Snapshots.freeze(Map.of("m", "flat")), 5_000, Epochs.next());
      bBackend.restore(restored);

      CommitResult result =
          a.commit(commitOn(old, with(old.data(), "m", Map.of("k", "w", "j", 1L)), 78));

      assertThat(result).isEqualTo(new CommitResult.Conflict(Optional.of(restored)));
      assertStored(id, restored);
    }
  }

  /**
   * Through Chord on the uncached node, an update computed from the old incarnation's copy (as a
   * thread that read before B's delete and re-create would have) is retried from the conflict's
   * context and lands on the new incarnation as a change of it.
   */
  @Test
  void uncachedNode_chordUpdateFromAnOldCopy_isRetriedOnTheNewIncarnation() {
    String id = "retried-" + UUID.randomUUID();
    try (RedisBackend a = uncachedNode();
        RedisBackend bBackend = node();
        Chord b = Chord.builder().backend(bBackend).build()) {
      b.setContext(id, Map.of("a", Map.of("x", 1)));
      Context old = a.get(id).orElseThrow();
      b.deleteContext(id);
      b.setContext(id, Map.of("a", 5));
      try (Chord racing =
          Chord.builder()
              .backend(
                  new ForwardingBackend(a) {
                    @Override
                    public Optional<Context> getForCommit(String contextId) {
                      return Optional.of(old);
                    }

                    @Override
                    public void close() {}
                  })
              .build()) {
        ContextUpdate update = racing.updateContext(id, Map.of("c", 3));
        assertThat(update.context().data()).isEqualTo(Map.of("a", 5L, "c", 3L));
        assertThat(update.context().version()).isEqualTo(2);
      }
      assertStored(id, bBackend.get(id).orElseThrow());
      assertThat(bBackend.get(id).orElseThrow().data()).isEqualTo(Map.of("a", 5L, "c", 3L));
    }
  }

  /**
   * The script itself refuses an update that does not name the epoch it was computed from, or whose
   * new version would carry another epoch, and a create without an epoch: no such write can reach
   * the stored context, whatever a caller sends.
   */
  @Test
  void script_refusesAnUpdateWithoutItsExpectedEpoch() {
    String id = "no-epoch-" + UUID.randomUUID();
    try (RedisBackend backend = node()) {
      Context created = new Context(id, 1, Snapshots.freeze(Map.of("a", 1)), 10, Epochs.next());
      assertThat(backend.commit(creating(created))).isEqualTo(CommitResult.COMMITTED);
      Commit update = commitOn(created, Map.of("a", 2L), 11);

      LeafLayout.Writes writes = LeafLayout.of(update.delta());
      assertThatThrownBy(() -> backend.run(backend.commitCall(update, writes, null, "")))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("must name its expected epoch");
      assertThatThrownBy(() -> backend.run(backend.commitCall(update, writes, null, Epochs.next())))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("must name its expected epoch");
      String other = "other-" + UUID.randomUUID();
      Context bare = new Context(other, 1, Snapshots.freeze(Map.of("a", 1)), 10, Epochs.next());
      Commit creation = creating(bare);
      ScriptCall create =
          backend.commitCall(creation, LeafLayout.of(creation.delta()), null, null).epoch("");
      assertThatThrownBy(() -> backend.run(create)).isInstanceOf(BackendException.class);

      assertStored(id, created);
      assertThat(backend.get(other)).isEmpty();
      assertThat(backend.commit(update)).isEqualTo(CommitResult.COMMITTED);
    }
  }

  /**
   * Every reset names its epoch: a delete the deleted one with version 0, a restore the restored
   * one with its version; a conditional delete needs both epoch and version to match.
   */
  @Test
  void resets_nameTheirEpochs_andDeleteIfNeedsEpochAndVersion() throws Exception {
    String id = "resets-" + UUID.randomUUID();
    RecordingFeed feed = new RecordingFeed();
    try (RedisBackend backend = node();
        Chord chord = Chord.builder().backend(backend).build();
        AutoCloseable subscription = backend.subscribe(id, feed)) {
      String first = chord.setContext(id, Map.of("a", 1)).context().epoch();
      assertThat(backend.deleteIf(id, Epochs.next(), 1)).isFalse();
      assertThat(backend.deleteIf(id, first, 2)).isFalse();
      assertThat(backend.deleteIf(id, first, 1)).isTrue();
      Context restored = new Context(id, 4, Snapshots.freeze(Map.of("r", 1)), 9, Epochs.next());
      backend.restore(restored);
      chord.deleteContext(id);

      assertThat(feed.awaitEvent("reset 4", 20)).containsExactly("delta 1", "reset 0");
      assertThat(feed.awaitEvent("reset 0", 20)).isEmpty();
      assertThat(feed.epochs()).containsExactly(first, first, restored.epoch(), restored.epoch());
    }
  }

  /** A clock at a settable number of milliseconds. */
  private static final class SettableClock extends Clock {
    final AtomicLong millis;

    SettableClock(long millis) {
      this.millis = new AtomicLong(millis);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }
  }

  /**
   * Two Chord instances on one Redis, one counting in seconds and one in milliseconds, read each
   * other's times right: Redis holds milliseconds, each converts to its own unit. Cleanup through
   * the seconds node drops deltas by their millisecond times (a cutoff between two deltas written
   * within one second splits them).
   */
  @Test
  void nodesWithDifferentTimeUnits_readEachOthersTimes() throws Exception {
    String id = "times-" + UUID.randomUUID();
    SettableClock clock = new SettableClock(1_764_130_000_123L);
    try (Chord seconds =
            Chord.builder()
                .backend(node(TIMES_PREFIX))
                .clock(clock)
                .deltaTtl(Duration.ofSeconds(1))
                .build();
        Chord millis =
            Chord.builder()
                .backend(node(TIMES_PREFIX))
                .clock(clock)
                .timeUnit(ChronoUnit.MILLIS)
                .build()) {
      millis.setContext(id, Map.of("n", 0));
      assertThat(seconds.getContext(id).orElseThrow().insertedAt()).isEqualTo(1_764_130_000L);
      assertThat(millis.getContext(id).orElseThrow().insertedAt()).isEqualTo(1_764_130_000_123L);

      clock.millis.set(1_764_130_000_523L);
      DeltaRecord second = seconds.updateContext(id, Map.of("n", 1)).deltaRecord();
      assertThat(second.insertedAt()).isEqualTo(1_764_130_000L);
      assertThat(millis.getContext(id).orElseThrow().insertedAt()).isEqualTo(1_764_130_000_523L);
      SyncResult.Patch patch = (SyncResult.Patch) millis.syncContext(id, 0L);
      assertThat(patch.insertedAt()).isEqualTo(1_764_130_000_523L);
      try (RedisBackend raw = node(TIMES_PREFIX)) {
        assertThat(raw.get(id).orElseThrow().insertedAt()).isEqualTo(1_764_130_000_523L);
        assertThat(raw.history(id, 0, 10).orElseThrow().deltas())
            .extracting(DeltaRecord::insertedAt)
            .containsExactly(1_764_130_000_123L, 1_764_130_000_523L);
      }

      // Cutoff 1_764_130_000_323: the first delta (…123 ms) goes, the second (…523 ms) stays.
      clock.millis.set(1_764_130_001_323L);
      assertThat(seconds.cleanup().deltasDeleted()).isEqualTo(1);
      assertThat(millis.syncContext(id, 1L)).isInstanceOf(SyncResult.Patch.class);
      assertThat(millis.syncContext(id, 0L)).isInstanceOf(SyncResult.Full.class);
      seconds.deleteContext(id);
    }
  }
}
