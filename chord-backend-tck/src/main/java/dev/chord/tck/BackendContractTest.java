package dev.chord.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.ContextUpdate;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.Subscription;
import dev.chord.SyncResult;
import dev.chord.VersionConflictException;
import dev.chord.spi.Backend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ContextInfo;
import dev.chord.spi.ContextPage;
import dev.chord.spi.ForwardingBackend;
import dev.chord.spi.History;
import dev.chord.spi.Snapshots;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Backend} must meet. To prove an implementation, extend this class and
 * implement {@link #createBackend()}:
 *
 * <pre>{@code
 * class MyBackendContractTest extends BackendContractTest {
 *   @Override
 *   protected Backend createBackend() {
 *     return MyBackend.connect(...);
 *   }
 * }
 * }</pre>
 *
 * <p>Each test gets a new backend and closes it afterwards. Tests use context ids unique to the
 * test run, so a backend on shared storage (one Redis for many test classes) may keep earlier data;
 * a backend whose storage is not shared may be empty. The tests talk to the backend both directly
 * (the SPI) and through {@link Chord}, which is how applications use it.
 *
 * <p>Epochs: the kit commits with fixed epochs of its own and checks that a backend stores and
 * returns them as given, refuses every commit whose expected (epoch, version) is not the stored one
 * (an earlier incarnation at the same version included), deletes conditionally on both, and names
 * the epoch in every reset; times are milliseconds and must come back unchanged.
 */
public abstract class BackendContractTest {
  /** How long asynchronous deliveries (subscriptions) may take before a test fails. */
  private static final long DELIVERY_TIMEOUT_SECONDS = 10;

  protected Backend backend;

  /** Unique per test, so tests never see each other's contexts. */
  protected String prefix;

  /** A new backend, ready to use. Closed by the kit after each test. */
  protected abstract Backend createBackend();

  /**
   * A second backend over the same storage as {@link #backend}, as another application node would
   * open it; the kit closes it. A backend whose storage can be shared across processes (Redis, a
   * database) should override this so the multi-node tests really cross nodes. By default the
   * second node shares {@link #backend} itself.
   */
  protected Backend createPeer() {
    return new Unclosed(backend);
  }

  /**
   * How many random histories the epoch sync property (two nodes, a client syncing by epoch and a
   * listener) runs. A history is about 60 operations of one to three backend calls each: a backend
   * whose calls take around 100 µs (Redis over loopback) may run fewer than the default 200.
   */
  protected int propertyRuns() {
    return 200;
  }

  @BeforeEach
  void openBackend() {
    backend = createBackend();
    prefix = "tck-" + UUID.randomUUID().toString().substring(0, 8) + ":";
  }

  @AfterEach
  void closeBackend() throws Exception {
    backend.close();
  }

  // ---- helpers ----

  protected String id(String name) {
    return prefix + name;
  }

  /** The epoch the kit's directly committed contexts carry (one incarnation per test id). */
  protected static final String EPOCH = "tckEpoch0001";

  /** The epoch of an id's next incarnation, created after a delete. */
  private static final String NEXT_EPOCH = "tckEpoch0002";

  /** The epoch of a restored context (a restore always brings a new one). */
  private static final String RESTORED_EPOCH = "tckRestored01";

  /** A time with a millisecond part, as Chord hands times to a backend. */
  private static final long MILLIS = 1_764_140_000_123L;

  private static Context context(String id, long version, Map<String, ?> data, long insertedAt) {
    return context(id, version, data, insertedAt, EPOCH);
  }

  private static Context context(
      String id, long version, Map<String, ?> data, long insertedAt, String epoch) {
    return new Context(id, version, Snapshots.freeze(data), insertedAt, epoch);
  }

  private static DeltaRecord record(Context context, Delta delta) {
    return new DeltaRecord(
        context.contextId(), context.version(), delta, context.insertedAt(), context.epoch());
  }

  /** The commit of {@code next} computed from {@code previous} ({@code null}: a create). */
  private static Commit commitOf(@Nullable Context previous, Context next, int max) {
    Delta delta = Delta.diff(previous == null ? Map.of() : previous.data(), next.data());
    return new Commit(next, record(next, delta), next.version() - 1, max);
  }

  /**
   * Commits {@code data} as the next version after {@code previous}, in its epoch ({@code null}:
   * creates the context in {@link #EPOCH}).
   */
  private Context commitNext(
      String id, @Nullable Context previous, Map<String, ?> data, long at, int max) {
    long version = previous == null ? 1 : previous.version() + 1;
    String epoch = previous == null ? EPOCH : previous.epoch();
    Context next = context(id, version, data, at, epoch);
    assertThat(backend.commit(commitOf(previous, next, max)))
        .isInstanceOf(CommitResult.Committed.class);
    return next;
  }

  /** Creates {@code id} at version 1 as the incarnation {@code epoch}. */
  private Context create(String id, String epoch, Map<String, ?> data, long at) {
    Context created = context(id, 1, data, at, epoch);
    assertThat(backend.commit(commitOf(null, created, 10)))
        .isInstanceOf(CommitResult.Committed.class);
    return created;
  }

  private List<Context> commitChain(String id, int count, int max) {
    List<Context> chain = new ArrayList<>();
    Context previous = null;
    for (int i = 1; i <= count; i++) {
      previous = commitNext(id, previous, Map.of("n", i, "tag", "v" + i), 1000L + i, max);
      chain.add(previous);
    }
    return chain;
  }

  private static List<Long> versions(List<DeltaRecord> records) {
    return records.stream().map(DeltaRecord::version).toList();
  }

  /** A Chord on the test's backend; closing it leaves the backend open. */
  private Chord chordOn(int threshold) {
    return Chord.builder().backend(new Unclosed(backend)).deltaThreshold(threshold).build();
  }

  /** A Chord on {@link #createPeer()}, the second node; closing it closes the peer. */
  private Chord peerChord(int threshold) {
    return Chord.builder().backend(createPeer()).deltaThreshold(threshold).build();
  }

  // ---- reads and commits ----

  @Test
  void get_absentContext_isEmpty() {
    assertThat(backend.get(id("nothing"))).isEmpty();
    assertThat(backend.history(id("nothing"), 0, 100)).isEmpty();
  }

  @Test
  void commit_create_storesContextAndDelta() {
    String id = id("create");
    Context created = commitNext(id, null, Map.of("a", 1, "b", Map.of("c", "x")), 42, 10);

    assertThat(backend.get(id)).contains(created);
    History history = backend.history(id, 0, 10).orElseThrow();
    assertThat(history.version()).isEqualTo(1);
    assertThat(history.insertedAt()).isEqualTo(42);
    assertThat(history.deltas()).hasSize(1);
    assertThat(history.deltas().get(0).delta()).isEqualTo(Delta.diff(Map.of(), created.data()));
    assertThat(history.deltas().get(0).insertedAt()).isEqualTo(42);
  }

  @Test
  void commit_wrongExpectedVersion_conflictsAndStoresNothing() {
    String id = id("conflict");
    List<Context> chain = commitChain(id, 3, 10);
    Context stale = context(id, 3, Map.of("n", 99), 5000);
    Commit commit = new Commit(stale, record(stale, Delta.diff(Map.of(), Map.of("n", 99))), 2, 10);

    CommitResult result = backend.commit(commit);

    assertThat(result).isInstanceOf(CommitResult.Conflict.class);
    assertThat(((CommitResult.Conflict) result).current()).contains(chain.get(2));
    assertThat(backend.get(id)).contains(chain.get(2));
    assertThat(versions(backend.history(id, 0, 10).orElseThrow().deltas()))
        .containsExactly(1L, 2L, 3L);
  }

  @Test
  void commit_createWhenPresent_conflicts() {
    String id = id("exists");
    Context first = commitNext(id, null, Map.of("a", 1), 1, 10);
    Context again = context(id, 1, Map.of("a", 2), 2, NEXT_EPOCH);
    CommitResult result =
        backend.commit(new Commit(again, record(again, Delta.diff(Map.of(), again.data())), 0, 10));
    assertThat(result).isInstanceOf(CommitResult.Conflict.class);
    assertThat(backend.get(id)).contains(first);
  }

  @Test
  void commit_updateWhenAbsent_conflictsWithEmpty() {
    String id = id("absent");
    Context next = context(id, 5, Map.of("a", 1), 1);
    CommitResult result =
        backend.commit(new Commit(next, record(next, Delta.diff(Map.of(), next.data())), 4, 10));
    assertThat(result).isEqualTo(new CommitResult.Conflict(Optional.empty()));
    assertThat(backend.get(id)).isEmpty();
  }

  @Test
  void history_returnsDeltasAfterVersionInOrder() {
    String id = id("history");
    List<Context> chain = commitChain(id, 6, 100);

    History history = backend.history(id, 2, 100).orElseThrow();

    assertThat(history.version()).isEqualTo(6);
    assertThat(history.insertedAt()).isEqualTo(chain.get(5).insertedAt());
    assertThat(versions(history.deltas())).containsExactly(3L, 4L, 5L, 6L);
    for (DeltaRecord record : history.deltas()) {
      Context before = chain.get((int) record.version() - 2);
      Context after = chain.get((int) record.version() - 1);
      assertThat(record.contextId()).isEqualTo(id);
      assertThat(record.delta()).isEqualTo(Delta.diff(before.data(), after.data()));
      assertThat(record.insertedAt()).isEqualTo(after.insertedAt());
    }
  }

  @Test
  void history_currentOrTooFarBehind_returnsNoDeltas() {
    String id = id("far");
    commitChain(id, 6, 100);
    assertThat(backend.history(id, 6, 100).orElseThrow().deltas()).isEmpty();
    assertThat(backend.history(id, 9, 100).orElseThrow().deltas()).isEmpty();
    assertThat(backend.history(id, 1, 3).orElseThrow().deltas()).isEmpty();
    assertThat(versions(backend.history(id, 3, 3).orElseThrow().deltas()))
        .containsExactly(4L, 5L, 6L);
  }

  @Test
  void commit_trimsHistoryToMaxDeltas_keepingNewestContiguous() {
    String id = id("trim");
    commitChain(id, 10, 3);
    History history = backend.history(id, 0, 100).orElseThrow();
    assertThat(versions(history.deltas())).containsExactly(8L, 9L, 10L);
  }

  // ---- values ----

  @Test
  void values_roundTripWithTheirTypes() {
    String id = id("types");
    Map<String, @Nullable Object> data = new LinkedHashMap<>();
    data.put("long", Long.MAX_VALUE);
    data.put("beyond2^53", (1L << 53) + 1);
    data.put("negative", -7L);
    data.put("double", 0.1);
    data.put("integralDouble", 1.0);
    data.put("bigDouble", 1e300);
    data.put("bigDecimal", new BigDecimal("1.50"));
    data.put("bigDecimalInteger", new BigDecimal("100"));
    data.put("bigInteger", new BigInteger("123456789012345678901234567890"));
    data.put("string", "text with \"quotes\", \\ and ✓ and \u0000");
    data.put("emptyString", "");
    data.put("true", true);
    data.put("null", null);
    data.put("list", Arrays.asList(1, null, "x", List.of(), Map.of("k", 2.5)));
    data.put("emptyMap", Map.of());
    data.put("emptyList", List.of());
    data.put("weird keys", Map.of("a/b", 1, "~0", 2, "", 3, "ü é 漢", 4, "a.b", 5, "{x}", 6));
    Context created = commitNext(id, null, data, 7, 10);

    Context read = backend.get(id).orElseThrow();

    assertThat(read).isEqualTo(created);
    assertThat(read.data().get("beyond2^53")).isInstanceOf(Long.class);
    assertThat(read.data().get("integralDouble")).isInstanceOf(Double.class);
    assertThat(read.data().get("bigDecimal")).isEqualTo(new BigDecimal("1.50"));
    assertThat(((BigDecimal) read.data().get("bigDecimal")).scale()).isEqualTo(2);
    assertThat(read.data().get("bigDecimalInteger")).isInstanceOf(BigDecimal.class);
    assertThat(read.data().get("bigInteger")).isInstanceOf(BigInteger.class);
    DeltaRecord stored = backend.history(id, 0, 10).orElseThrow().deltas().get(0);
    assertThat(stored.delta()).isEqualTo(Delta.diff(Map.of(), data));
  }

  @Test
  void values_readBackAreFrozen() {
    String id = id("frozen");
    commitNext(id, null, Map.of("m", Map.of("k", List.of(1))), 1, 10);
    Map<String, @Nullable Object> data = backend.get(id).orElseThrow().data();
    assertThatThrownBy(() -> data.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    @SuppressWarnings("unchecked")
    Map<String, @Nullable Object> nested = (Map<String, @Nullable Object>) data.get("m");
    assertThatThrownBy(() -> nested.remove("k")).isInstanceOf(UnsupportedOperationException.class);
    @SuppressWarnings("unchecked")
    List<@Nullable Object> list = (List<@Nullable Object>) nested.get("k");
    assertThatThrownBy(() -> list.add(2)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void contextIds_withSpecialCharacters_areKeptApart() {
    List<String> ids =
        List.of(
            id("a:b"),
            id("a{b}"),
            id("{a}"),
            id("}{"),
            id("with space"),
            id("漢字 ü"),
            id("a/b"),
            id("a*b?[c]"),
            id("a\nb"));
    for (int i = 0; i < ids.size(); i++) {
      commitNext(ids.get(i), null, Map.of("i", i), i, 10);
    }
    for (int i = 0; i < ids.size(); i++) {
      Context read = backend.get(ids.get(i)).orElseThrow();
      assertThat(read.contextId()).isEqualTo(ids.get(i));
      assertThat(read.data()).isEqualTo(Map.of("i", (long) i));
    }
  }

  // ---- restore, delete, cleanup support ----

  @Test
  void restore_replacesContextAndDropsDeltas() {
    String id = id("restore");
    commitChain(id, 4, 10);
    Context restored = context(id, 2, Map.of("restored", true), 9000, RESTORED_EPOCH);

    backend.restore(restored);

    assertThat(backend.get(id)).contains(restored);
    History history = backend.history(id, 1, 10).orElseThrow();
    assertThat(history.version()).isEqualTo(2);
    assertThat(history.epoch()).isEqualTo(RESTORED_EPOCH);
    assertThat(history.deltas()).isEmpty();
    Context next = commitNext(id, restored, Map.of("restored", false), 9001, 10);
    History after = backend.history(id, 2, 10).orElseThrow();
    assertThat(versions(after.deltas())).containsExactly(3L);
    assertThat(after.deltas().get(0).epoch()).isEqualTo(RESTORED_EPOCH);
    assertThat(backend.get(id)).contains(next);
  }

  @Test
  void restore_ofAbsentContext_createsIt() {
    String id = id("restore-new");
    Context restored = context(id, 7, Map.of("x", 1), 1, RESTORED_EPOCH);
    backend.restore(restored);
    assertThat(backend.get(id)).contains(restored);
    assertThat(backend.history(id, 0, 10).orElseThrow().epoch()).isEqualTo(RESTORED_EPOCH);
  }

  @Test
  void restoreIfAbsent_ofStoredContext_changesNothing() {
    String id = id("restore-if-absent");
    commitChain(id, 3, 10);
    Context stored = backend.get(id).orElseThrow();

    assertThat(backend.restoreIfAbsent(context(id, 9, Map.of("old", true), 1, RESTORED_EPOCH)))
        .isFalse();

    assertThat(backend.get(id)).contains(stored);
    assertThat(versions(backend.history(id, 0, 10).orElseThrow().deltas()))
        .containsExactly(1L, 2L, 3L);
  }

  @Test
  void restoreIfAbsent_ofAbsentContext_restoresIt() {
    String id = id("restore-if-absent-new");
    Context restored = context(id, 7, Map.of("x", 1), 1, RESTORED_EPOCH);

    assertThat(backend.restoreIfAbsent(restored)).isTrue();

    assertThat(backend.get(id)).contains(restored);
  }

  @Test
  void restoreIfAbsent_racingRestores_exactlyOneWins() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 20; round++) {
        String id = id("restore-race-" + round);
        Context first = context(id, 3, Map.of("by", "first"), 1, RESTORED_EPOCH);
        Context second = context(id, 5, Map.of("by", "second"), 1, NEXT_EPOCH);
        Future<Boolean> a = pool.submit(() -> backend.restoreIfAbsent(first));
        Future<Boolean> b = pool.submit(() -> backend.restoreIfAbsent(second));
        boolean firstWon = a.get(30, TimeUnit.SECONDS);
        boolean secondWon = b.get(30, TimeUnit.SECONDS);

        assertThat(firstWon)
            .as("round %d: exactly one restore wins", round)
            .isNotEqualTo(secondWon);
        assertThat(backend.get(id)).contains(firstWon ? first : second);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void delete_removesContextAndDeltas_andIsIdempotent() {
    String id = id("delete");
    commitChain(id, 3, 10);

    assertThat(backend.delete(id)).isTrue();
    assertThat(backend.delete(id)).isFalse();

    assertThat(backend.get(id)).isEmpty();
    assertThat(backend.history(id, 0, 10)).isEmpty();
    Context recreated = create(id, NEXT_EPOCH, Map.of("again", 1), 5);
    assertThat(versions(backend.history(id, 0, 10).orElseThrow().deltas())).containsExactly(1L);
    assertThat(backend.get(id)).contains(recreated);
  }

  @Test
  void deleteIf_deletesOnlyAtThatVersion() {
    String id = id("delete-if");
    commitChain(id, 3, 10);
    assertThat(backend.deleteIf(id, EPOCH, 2)).isFalse();
    assertThat(backend.get(id)).isPresent();
    assertThat(backend.deleteIf(id, EPOCH, 3)).isTrue();
    assertThat(backend.get(id)).isEmpty();
    assertThat(backend.deleteIf(id, EPOCH, 3)).isFalse();
  }

  @Test
  void deleteDeltasBefore_dropsOldestByTime() {
    String id = id("ttl");
    Context previous = null;
    for (long at : new long[] {10, 20, 30, 40}) {
      previous = commitNext(id, previous, Map.of("at", at), at, 10);
    }

    assertThat(backend.deleteDeltasBefore(id, 25)).isEqualTo(2);
    assertThat(backend.deleteDeltasBefore(id, 25)).isZero();
    assertThat(versions(backend.history(id, 0, 10).orElseThrow().deltas())).containsExactly(3L, 4L);
    assertThat(backend.get(id)).contains(previous);
    assertThat(backend.deleteDeltasBefore(id("none"), 25)).isZero();
  }

  @Test
  void listContexts_pagesThroughEveryContextOnce() {
    Set<String> created = new HashSet<>();
    for (int i = 0; i < 23; i++) {
      String id = id("list-" + i);
      commitChain(id, 1 + i % 3, 10);
      created.add(id);
    }
    Map<String, ContextInfo> seen = new LinkedHashMap<>();
    String cursor = null;
    int pages = 0;
    do {
      ContextPage page = backend.listContexts(cursor, 5);
      assertThat(page.contexts().size()).isLessThanOrEqualTo(5);
      for (ContextInfo info : page.contexts()) {
        if (info.contextId().startsWith(prefix)) {
          assertThat(seen.put(info.contextId(), info)).as("listed twice").isNull();
        }
      }
      cursor = page.nextCursor();
      assertThat(++pages).as("listing must end").isLessThan(100_000);
    } while (cursor != null);

    assertThat(seen.keySet()).isEqualTo(created);
    ContextInfo third = seen.get(id("list-2"));
    assertThat(third.version()).isEqualTo(3);
    assertThat(third.insertedAt()).isEqualTo(1003);
    assertThat(third.epoch()).isEqualTo(EPOCH);
  }

  // ---- subscriptions ----

  @Test
  void subscribe_deliversCommitsUntilClosed() throws Exception {
    String id = id("feed");
    BlockingQueue<DeltaRecord> received = new LinkedBlockingQueue<>();
    AutoCloseable subscription = backend.subscribe(id, received::add);
    List<Context> chain = commitChain(id, 3, 10);

    List<Long> seen = new ArrayList<>();
    while (seen.size() < 3) {
      DeltaRecord record = received.poll(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertThat(record).as("delivery of version %d", seen.size() + 1).isNotNull();
      if (!seen.contains(record.version())) {
        seen.add(record.version());
      }
      assertThat(record.contextId()).isEqualTo(id);
    }
    assertThat(seen).containsExactlyInAnyOrder(1L, 2L, 3L);

    subscription.close();
    received.clear();
    commitNext(id, chain.get(2), Map.of("after", "close"), 99, 10);
    // A commit after close must not arrive; give a committed probe on another id time to pass.
    BlockingQueue<DeltaRecord> probe = new LinkedBlockingQueue<>();
    try (AutoCloseable probeSubscription = backend.subscribe(id("probe"), probe::add)) {
      commitNext(id("probe"), null, Map.of("p", 1), 1, 10);
      assertThat(probe.poll(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS)).isNotNull();
    }
    assertThat(received).isEmpty();
  }

  @Test
  void subscribe_signalsDeleteAndRestoreAsResetsWithTheirEpochs() throws Exception {
    assertFeedSignalsResetsWithEpochs(id("resets"), backend);
  }

  @Test
  void subscribeOnAPeer_signalsDeleteAndRestoreOnThisNodeAsResetsWithTheirEpochs()
      throws Exception {
    try (Backend peer = createPeer()) {
      assertFeedSignalsResetsWithEpochs(id("peer-resets"), peer);
    }
  }

  /**
   * Subscribes on {@code subscribedOn}, then commits, deletes, creates again and restores through
   * {@link #backend}: the feed gets every delta with its epoch, the delete as a reset to version 0
   * naming the deleted epoch, the restore as a reset to the restored (epoch, version).
   */
  private void assertFeedSignalsResetsWithEpochs(String id, Backend subscribedOn) throws Exception {
    RecordingFeed feed = new RecordingFeed();
    try (AutoCloseable subscription = subscribedOn.subscribe(id, feed)) {
      List<Context> first = commitChain(id, 2, 10);
      feed.awaitEvent("delta 2", DELIVERY_TIMEOUT_SECONDS);
      backend.delete(id);
      feed.awaitEvent("reset 0", DELIVERY_TIMEOUT_SECONDS);
      Context created = create(id, NEXT_EPOCH, Map.of("again", 1), 5);
      feed.awaitEvent("delta 1", DELIVERY_TIMEOUT_SECONDS);
      Context restored = context(id, 7, Map.of("restored", true), 6, RESTORED_EPOCH);
      backend.restore(restored);
      feed.awaitEvent("reset 7", DELIVERY_TIMEOUT_SECONDS);
      commitNext(id, restored, Map.of("restored", false), 8, 10);
      feed.awaitEvent("delta 8", DELIVERY_TIMEOUT_SECONDS);

      assertThat(first.get(1).epoch()).isEqualTo(EPOCH);
      assertThat(feed.epochsOf("delta 2")).as("epoch of delta 2").isNotEmpty().containsOnly(EPOCH);
      assertThat(feed.epochsOf("reset 0"))
          .as("epoch of the delete")
          .isNotEmpty()
          .containsOnly(EPOCH);
      assertThat(feed.epochsOf("delta 1").stream().distinct())
          .as("epochs of each version 1")
          .containsExactly(EPOCH, created.epoch());
      assertThat(feed.epochsOf("reset 7"))
          .as("epoch of the restore")
          .isNotEmpty()
          .containsOnly(RESTORED_EPOCH);
      assertThat(feed.epochsOf("delta 8"))
          .as("epoch of delta 8")
          .isNotEmpty()
          .containsOnly(RESTORED_EPOCH);
    }
  }

  @Test
  void subscribe_deltasCarryTheirInsertedAtUnchanged() throws Exception {
    String id = id("feed-time");
    BlockingQueue<DeltaRecord> received = new LinkedBlockingQueue<>();
    try (AutoCloseable subscription = backend.subscribe(id, received::add)) {
      Context created = create(id, EPOCH, Map.of("a", 1), MILLIS);
      DeltaRecord record = received.poll(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertThat(record).as("delivery of version 1").isNotNull();
      assertThat(record.insertedAt()).isEqualTo(MILLIS);
      assertThat(record.epoch()).isEqualTo(created.epoch());
    }
  }

  // ---- epochs and times ----

  @Test
  void commit_computedFromAnEarlierIncarnationAtTheSameVersion_conflictsAndStoresNothing() {
    String id = id("epoch-recreated");
    Context old = create(id, EPOCH, Map.of("a", 1), 1000);
    assertThat(backend.delete(id)).isTrue();
    Context fresh = create(id, NEXT_EPOCH, Map.of("b", 2), 2000);
    Context stale = context(id, 2, Map.of("a", 2), 3000, EPOCH);

    CommitResult result = backend.commit(commitOf(old, stale, 10));

    assertThat(result).isEqualTo(new CommitResult.Conflict(Optional.of(fresh)));
    assertOnlyStored(id, fresh, 1);
  }

  @Test
  void commit_computedFromTheStateBeforeARestoreAtTheSameVersion_conflictsAndStoresNothing() {
    String id = id("epoch-restored");
    List<Context> chain = commitChain(id, 3, 10);
    Context restored = context(id, 3, Map.of("restored", true), 9000, RESTORED_EPOCH);
    backend.restore(restored);
    Context stale = context(id, 4, Map.of("n", 4), 9001, EPOCH);

    CommitResult result = backend.commit(commitOf(chain.get(2), stale, 10));

    assertThat(result).isEqualTo(new CommitResult.Conflict(Optional.of(restored)));
    assertOnlyStored(id, restored);
  }

  @Test
  void commit_inAnotherEpochThanStored_conflicts() {
    String id = id("epoch-other");
    Context stored = create(id, EPOCH, Map.of("a", 1), 1000);
    Context other = context(id, 2, Map.of("a", 2), 2000, NEXT_EPOCH);
    Context otherBase = context(id, 1, Map.of("a", 1), 1000, NEXT_EPOCH);

    CommitResult result = backend.commit(commitOf(otherBase, other, 10));

    assertThat(result).isEqualTo(new CommitResult.Conflict(Optional.of(stored)));
    assertOnlyStored(id, stored, 1);
  }

  /**
   * {@code id} holds exactly {@code expected}, its history has exactly {@code versions}, all of its
   * epoch, and a listing shows its epoch and version.
   */
  private void assertOnlyStored(String id, Context expected, long... versions) {
    assertThat(backend.get(id)).contains(expected);
    History history = backend.history(id, 0, 100).orElseThrow();
    assertThat(history.epoch()).isEqualTo(expected.epoch());
    assertThat(history.version()).isEqualTo(expected.version());
    assertThat(history.insertedAt()).isEqualTo(expected.insertedAt());
    assertThat(versions(history.deltas()))
        .containsExactlyElementsOf(Arrays.stream(versions).boxed().toList());
    assertThat(history.deltas())
        .allSatisfy(delta -> assertThat(delta.epoch()).isEqualTo(expected.epoch()));
    ContextInfo info =
        new ContextInfo(id, expected.version(), expected.insertedAt(), expected.epoch());
    assertThat(listed(id)).isEqualTo(info);
  }

  /** How a full listing shows {@code id}; fails if it is not listed once. */
  private ContextInfo listed(String id) {
    List<ContextInfo> found = new ArrayList<>();
    String cursor = null;
    do {
      ContextPage page = backend.listContexts(cursor, 100);
      for (ContextInfo info : page.contexts()) {
        if (info.contextId().equals(id)) {
          found.add(info);
        }
      }
      cursor = page.nextCursor();
    } while (cursor != null);
    assertThat(found).as("listings of %s", id).hasSize(1);
    return found.get(0);
  }

  @Test
  void reads_returnTheStoredEpochOfEachIncarnation() {
    String one = id("epoch-one");
    String two = id("epoch-two");
    List<Context> chain = commitChain(one, 3, 10);
    Context other = create(two, NEXT_EPOCH, Map.of("x", 1), 50);
    assertOnlyStored(one, chain.get(2), 1, 2, 3);
    assertOnlyStored(two, other, 1);

    Context restored = context(one, 2, Map.of("restored", true), 60, RESTORED_EPOCH);
    backend.restore(restored);
    assertOnlyStored(one, restored);
    Context afterRestore = commitNext(one, restored, Map.of("restored", 2), 70, 10);
    assertOnlyStored(one, afterRestore, 3);

    backend.delete(two);
    Context recreated = create(two, "tckEpoch0003", Map.of("y", 1), 80);
    assertOnlyStored(two, recreated, 1);
  }

  @Test
  void deleteIf_wrongEpochAtTheRightVersion_deletesNothing() {
    String id = id("delete-if-epoch");
    List<Context> chain = commitChain(id, 2, 10);
    assertThat(backend.deleteIf(id, NEXT_EPOCH, 2)).isFalse();
    assertOnlyStored(id, chain.get(1), 1, 2);

    backend.delete(id);
    Context recreated = create(id, NEXT_EPOCH, Map.of("again", 1), 5);
    assertThat(backend.deleteIf(id, EPOCH, 1)).as("the deleted incarnation's epoch").isFalse();
    assertOnlyStored(id, recreated, 1);

    Context restored = context(id, 1, Map.of("restored", true), 6, RESTORED_EPOCH);
    backend.restore(restored);
    assertThat(backend.deleteIf(id, NEXT_EPOCH, 1)).as("the epoch before the restore").isFalse();
    assertOnlyStored(id, restored);

    assertThat(backend.deleteIf(id, RESTORED_EPOCH, 1)).isTrue();
    assertThat(backend.get(id)).isEmpty();
  }

  @Test
  void insertedAt_roundTripsUnchangedInMilliseconds() {
    String id = id("millis");
    Context created = create(id, EPOCH, Map.of("a", 1), MILLIS);
    assertOnlyStored(id, created, 1);
    assertThat(backend.history(id, 0, 10).orElseThrow().deltas().get(0).insertedAt())
        .isEqualTo(MILLIS);
    Context next = commitNext(id, created, Map.of("a", 2), MILLIS + 1_001, 10);
    assertOnlyStored(id, next, 1, 2);
    assertThat(backend.history(id, 1, 10).orElseThrow().deltas().get(0).insertedAt())
        .isEqualTo(MILLIS + 1_001);

    Context restored = context(id, 5, Map.of("r", 1), MILLIS + 2_999, RESTORED_EPOCH);
    backend.restore(restored);
    assertOnlyStored(id, restored);
    // Cleanup compares milliseconds: a cutoff one millisecond past a delta drops only that one.
    Context after = commitNext(id, restored, Map.of("r", 2), MILLIS + 3_000, 10);
    commitNext(id, after, Map.of("r", 3), MILLIS + 3_001, 10);
    assertThat(backend.deleteDeltasBefore(id, MILLIS + 3_001)).isEqualTo(1);
    assertThat(versions(backend.history(id, 0, 10).orElseThrow().deltas())).containsExactly(7L);
  }

  // ---- through Chord ----

  @Test
  void chord_concurrentUpdatesFromTwoInstances_loseNothing() throws Exception {
    String id = id("race");
    int threadsPerNode = 4;
    int updatesPerThread = 25;
    try (Chord nodeA = chordOn(1000);
        Chord nodeB = peerChord(1000)) {
      nodeA.setContext(id, Map.of("participants", Map.of()));
      ExecutorService pool = Executors.newFixedThreadPool(threadsPerNode * 2);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threadsPerNode * 2; t++) {
          Chord node = t % 2 == 0 ? nodeA : nodeB;
          String participant = "user_" + t;
          futures.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < updatesPerThread; i++) {
                      node.updateContext(
                          id, Map.of("participants", Map.of(participant, Map.of("n", i))));
                    }
                  }));
        }
        for (Future<?> future : futures) {
          future.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }

      Context last = nodeA.getContext(id).orElseThrow();
      int expectedVersion = 1 + threadsPerNode * 2 * updatesPerThread;
      assertThat(last.version()).isEqualTo(expectedVersion);
      @SuppressWarnings("unchecked")
      Map<String, Object> participants = (Map<String, Object>) last.data().get("participants");
      for (int t = 0; t < threadsPerNode * 2; t++) {
        assertThat(participants.get("user_" + t))
            .isEqualTo(Map.of("n", (long) updatesPerThread - 1));
      }
      List<DeltaRecord> all = backend.history(id, 0, 1000).orElseThrow().deltas();
      assertThat(versions(all))
          .containsExactlyElementsOf(
              java.util.stream.LongStream.rangeClosed(1, expectedVersion).boxed().toList());
      Map<String, @Nullable Object> replayed = Map.of();
      for (DeltaRecord record : all) {
        replayed = record.delta().applyTo(replayed);
      }
      assertThat(replayed).isEqualTo(last.data());
    }
  }

  @Test
  void chord_syncFromEveryVersion_reachesCurrentState() {
    String id = id("sync");
    int threshold = 5;
    try (Chord chord = chordOn(threshold)) {
      List<Map<String, @Nullable Object>> states = new ArrayList<>();
      states.add(Map.of());
      ContextUpdate update = chord.setContext(id, Map.of("a", 1, "m", Map.of("x", "y")));
      states.add(update.context().data());
      for (int i = 0; i < 8; i++) {
        Map<String, Object> changes =
            i % 3 == 2 ? Map.of("m", Map.of("x" + i, i)) : Map.of("a", i, "list", List.of(i));
        states.add(chord.updateContext(id, changes).context().data());
      }
      Context current = chord.getContext(id).orElseThrow();
      for (int v = 0; v < states.size(); v++) {
        SyncResult result = chord.syncContext(id, (long) v);
        long behind = current.version() - v;
        if (behind == 0) {
          assertThat(result).isEqualTo(new SyncResult.NoChange(current.version(), current.epoch()));
        } else if (behind > threshold) {
          assertThat(result).isEqualTo(new SyncResult.Full(current));
        } else {
          assertThat(result).isInstanceOf(SyncResult.Patch.class);
          SyncResult.Patch patch = (SyncResult.Patch) result;
          assertThat(patch.fromVersion()).isEqualTo(v);
          assertThat(patch.version()).isEqualTo(current.version());
          assertThat(patch.insertedAt()).isEqualTo(current.insertedAt());
          assertThat(patch.delta().applyTo(states.get(v))).isEqualTo(current.data());
        }
      }
      assertThat(chord.syncContext(id, null)).isEqualTo(new SyncResult.Full(current));
      assertThat(chord.syncContext(id, current.version() + 3))
          .isEqualTo(new SyncResult.Full(current));
    }
  }

  @Test
  void chord_subscribersOnTwoInstances_seeEveryCommitOnceInOrder() throws Exception {
    String id = id("push");
    try (Chord writer = chordOn(100);
        Chord reader = peerChord(100)) {
      BlockingQueue<DeltaRecord> received = new LinkedBlockingQueue<>();
      try (AutoCloseable subscription = reader.subscribe(id, received::add)) {
        writer.setContext(id, Map.of("n", 0));
        for (int i = 1; i <= 20; i++) {
          writer.updateContext(id, Map.of("n", i));
        }
        for (long version = 1; version <= 21; version++) {
          DeltaRecord record = received.poll(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
          assertThat(record).as("delivery of version %d", version).isNotNull();
          assertThat(record.version()).isEqualTo(version);
        }
        writer.updateContext(id, Map.of("n", "last"));
        DeltaRecord last = received.poll(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(last).isNotNull();
        assertThat(last.version()).isEqualTo(22);
        assertThat(received).isEmpty();
      }
    }
  }

  @Test
  void chord_deleteAndRestoreThroughAnotherInstance_subscriberFollowsTheNewVersions()
      throws Exception {
    String id = id("follow");
    Map<String, Object> saved = Map.of("saved", true);
    try (Chord writer =
            Chord.builder()
                .backend(new Unclosed(backend))
                .externalProvider(ctxId -> Optional.of(new Context(ctxId, 2, saved, 0)))
                .build();
        Chord reader = peerChord(100)) {
      BlockingQueue<DeltaRecord> received = new LinkedBlockingQueue<>();
      Follower follower = new Follower();
      try (Subscription records = reader.subscribe(id, received::add);
          Subscription states = reader.subscribe(id, follower)) {
        List<DeltaRecord> committed = new ArrayList<>();
        committed.add(writer.setContext(id, Map.of("n", 0)).deltaRecord());
        for (int i = 1; i <= 4; i++) {
          committed.add(writer.updateContext(id, Map.of("n", i)).deltaRecord());
        }
        writer.restoreContext(id);
        committed.add(writer.updateContext(id, Map.of("n", "after restore")).deltaRecord());
        writer.deleteContext(id);
        committed.add(writer.setContext(id, Map.of("n", "new")).deltaRecord());
        committed.add(writer.updateContext(id, Map.of("n", "newer")).deltaRecord());

        // The listener that sees resets ends exactly at the stored state.
        await()
            .atMost(Duration.ofSeconds(DELIVERY_TIMEOUT_SECONDS))
            .untilAsserted(() -> follower.assertAt(backend.get(id)));
        // The one that sees records only gets the first incarnation whole (nothing reset it
        // meanwhile), then, after each reset it cannot see, whatever follows the state stored
        // when its subscription re-read: committed records, in order, never one twice. What has
        // arrived so far is a prefix of that.
        List<DeltaRecord> got = new ArrayList<>();
        while (got.size() < 5) {
          DeltaRecord record = received.poll(DELIVERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
          assertThat(record).as("delivery after %s", got).isNotNull();
          got.add(record);
        }
        received.drainTo(got);
        assertThat(got.subList(0, 5)).containsExactlyElementsOf(committed.subList(0, 5));
        assertThat(committed).containsSubsequence(got);
        assertThat(got).doesNotHaveDuplicates();
      }
    }
  }

  /**
   * Random histories of writes, deletes, re-creates, restores and TTL cleanup through a node on
   * {@link #backend} and one on {@link #createPeer()}: a client syncing by (version, epoch) at
   * random points ends every sync at the stored state and is never sent a Patch or NoChange across
   * incarnations; a listener on the peer ends at the stored state. See {@link EpochSyncProperty}.
   */
  @Test
  void chord_randomHistoriesOnTwoNodes_syncByEpochEndsAtTheStoredState() {
    new EpochSyncProperty(
            backend, this::createPeer, this::id, Duration.ofSeconds(DELIVERY_TIMEOUT_SECONDS))
        .check(propertyRuns());
  }

  /** A Chord on the test's backend that exports to and restores from {@code saved}. */
  private Chord savingChordOn(AtomicReference<@Nullable Context> saved) {
    return Chord.builder()
        .backend(new Unclosed(backend))
        .exporter(saved::set)
        .externalProvider(ctxId -> Optional.ofNullable(saved.get()))
        .build();
  }

  @Test
  void chord_syncWithTheEpochAcrossDeleteAndCreateAgain_isFull() {
    String id = id("sync-recreated");
    try (Chord nodeA = chordOn(100);
        Chord nodeB = peerChord(100)) {
      nodeA.setContext(id, Map.of("a", 1));
      SyncResult held = nodeA.syncContext(id, (Long) null);
      nodeB.deleteContext(id);
      Context fresh = nodeB.setContext(id, Map.of("b", 2)).context();
      assertThat(fresh.version()).isEqualTo(held.version());

      SyncResult sync = nodeA.syncContext(id, held.version(), held.epoch());

      assertThat(sync).isInstanceOf(SyncResult.Full.class);
      assertThat(((SyncResult.Full) sync).context().data()).isEqualTo(Map.of("b", 2L));
      assertThat(sync.epoch()).isEqualTo(fresh.epoch()).isNotEqualTo(held.epoch());
      assertThat(nodeA.syncContext(id, 1, fresh.epoch()))
          .isEqualTo(new SyncResult.NoChange(1, fresh.epoch()));
    }
  }

  @Test
  void chord_syncWithTheEpochAcrossARestoreToTheSameVersion_isFull() {
    String id = id("sync-restored");
    AtomicReference<@Nullable Context> saved = new AtomicReference<>();
    try (Chord nodeA = savingChordOn(saved);
        Chord nodeB = peerChord(100)) {
      nodeA.setContext(id, Map.of("a", 1));
      nodeA.exportContext(id);
      nodeB.updateContext(id, Map.of("a", 2));
      SyncResult held = nodeB.syncContext(id, (Long) null);
      assertThat(held.version()).isEqualTo(2);
      nodeA.restoreContext(id);
      Context now = nodeB.updateContext(id, Map.of("other", true)).context();
      assertThat(now.version()).isEqualTo(2);

      SyncResult sync = nodeB.syncContext(id, 2, held.epoch());

      assertThat(sync).isEqualTo(new SyncResult.Full(now));
      assertThat(now.epoch()).isNotEqualTo(held.epoch());
    }
  }

  @Test
  void chord_conditionalWriteWithTheOldIncarnationsEpoch_conflicts() {
    String id = id("if-match");
    try (Chord nodeA = chordOn(100);
        Chord nodeB = peerChord(100)) {
      Context read = nodeA.setContext(id, Map.of("a", 1)).context();
      nodeB.deleteContext(id);
      Context fresh = nodeB.setContext(id, Map.of("b", 2)).context();

      for (Runnable write :
          List.<Runnable>of(
              () -> nodeA.setContext(id, Map.of("a", 9), 1, read.epoch()),
              () -> nodeA.updateContext(id, Map.of("a", 9), 1, read.epoch()))) {
        assertThatThrownBy(write::run)
            .isInstanceOfSatisfying(
                VersionConflictException.class,
                e -> {
                  assertThat(e.expectedEpoch()).isEqualTo(read.epoch());
                  assertThat(e.currentEpoch()).isEqualTo(fresh.epoch());
                  assertThat(e.currentVersion()).isEqualTo(1);
                });
      }
      assertThat(nodeA.getContext(id)).contains(fresh);
      assertThat(nodeB.updateContext(id, Map.of("c", 3), 1, fresh.epoch()).context().version())
          .isEqualTo(2);
    }
  }

  @Test
  void chord_writeFromANodeThatLastSawTheOldIncarnation_landsOnTheNewOne() {
    String id = id("stale-node");
    try (Chord nodeA = chordOn(100);
        Chord nodeB = peerChord(100)) {
      nodeA.setContext(id, Map.of("a", 1));
      nodeB.deleteContext(id);
      Context fresh = nodeB.setContext(id, Map.of("b", 2)).context();

      Context written = nodeA.updateContext(id, Map.of("c", 3)).context();

      assertThat(written.epoch()).isEqualTo(fresh.epoch());
      assertThat(written.version()).isEqualTo(2);
      assertThat(written.data()).isEqualTo(Map.of("b", 2L, "c", 3L));
      assertThat(nodeB.getContext(id)).contains(written);
    }
  }

  @Test
  void chord_listenerOnASecondNode_seesDeletesAndRestoresAsResets() throws Exception {
    String id = id("listener");
    AtomicReference<@Nullable Context> saved = new AtomicReference<>();
    try (Chord writer = savingChordOn(saved);
        Chord reader = peerChord(100)) {
      Follower follower = new Follower();
      try (Subscription subscription = reader.subscribe(id, follower)) {
        String first = writer.setContext(id, Map.of("n", 1)).context().epoch();
        follower.expect("delta " + first + " v1", DELIVERY_TIMEOUT_SECONDS);
        writer.exportContext(id);
        writer.updateContext(id, Map.of("n", 2));
        follower.expect("delta " + first + " v2", DELIVERY_TIMEOUT_SECONDS);
        writer.deleteContext(id);
        follower.expect("reset absent", DELIVERY_TIMEOUT_SECONDS);
        String second = writer.setContext(id, Map.of("n", "new")).context().epoch();
        follower.expect("delta " + second + " v1", DELIVERY_TIMEOUT_SECONDS);
        writer.updateContext(id, Map.of("n", "newer"));
        follower.expect("delta " + second + " v2", DELIVERY_TIMEOUT_SECONDS);
        Context restored = writer.restoreContext(id);
        follower.expect("reset " + restored.epoch() + " v1", DELIVERY_TIMEOUT_SECONDS);
        writer.updateContext(id, Map.of("n", "after restore"));
        follower.expect("delta " + restored.epoch() + " v2", DELIVERY_TIMEOUT_SECONDS);

        assertThat(Set.of(first, second, restored.epoch())).hasSize(3);
        follower.assertNoOtherEvents();
        follower.assertAt(backend.get(id));
      }
    }
  }

  /** Lets several {@link Chord}s share the test's backend without closing it. */
  protected static final class Unclosed extends ForwardingBackend {
    Unclosed(Backend target) {
      super(target);
    }

    @Override
    public void close() {}
  }
}
