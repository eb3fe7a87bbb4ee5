package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.memory.InMemoryBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** subscribe: every committed record exactly once, in order, to every listener. */
class ChordSubscriptionTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private final AtomicInteger restoreVersion = new AtomicInteger(50);
  private final Chord chord =
      Chord.builder()
          .externalProvider(
              id -> Optional.of(new Context(id, restoreVersion.get(), Map.of("r", true), 0)))
          .build();
  private final ExecutorService pool = Executors.newFixedThreadPool(8);

  @AfterEach
  void close() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    chord.close();
  }

  /** A listener that records what it gets. */
  static final class Recorder implements Consumer<DeltaRecord> {
    final List<DeltaRecord> records = new CopyOnWriteArrayList<>();

    @Override
    public void accept(DeltaRecord record) {
      records.add(record);
    }

    List<Long> versions() {
      return records.stream().map(DeltaRecord::version).toList();
    }
  }

  private static List<Recorder> concat(List<Recorder> recorders, Recorder more) {
    List<Recorder> out = new ArrayList<>(recorders);
    out.add(more);
    return out;
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long v = from; v <= to; v++) {
      out.add(v);
    }
    return out;
  }

  @Test
  void subscribe_beforeContextExists_deliversFromVersion1() throws Exception {
    Recorder recorder = new Recorder();
    try (AutoCloseable sub = chord.subscribe("room", recorder)) {
      ContextUpdate created = chord.setContext("room", Map.of("a", 1));
      chord.updateContext("room", Map.of("a", 2));
      chord.updateContext("room", Map.of("a", 2)); // no change, no record
      ContextUpdate third = chord.updateContext("room", Map.of("b", 3));
      await().atMost(WAIT).until(() -> recorder.records.size() == 3);
      assertThat(recorder.versions()).containsExactly(1L, 2L, 3L);
      assertThat(recorder.records.get(0)).isEqualTo(created.deltaRecord());
      assertThat(recorder.records.get(2)).isEqualTo(third.deltaRecord());
    }
  }

  @Test
  void subscribe_existingContext_deliversOnlyLaterRecords() throws Exception {
    chord.setContext("room", Map.of("a", 1));
    chord.updateContext("room", Map.of("a", 2));
    Recorder recorder = new Recorder();
    try (AutoCloseable sub = chord.subscribe("room", recorder)) {
      chord.updateContext("room", Map.of("a", 3));
      await().atMost(WAIT).until(() -> !recorder.records.isEmpty());
      assertThat(recorder.versions()).containsExactly(3L);
    }
  }

  @Test
  void close_stopsDelivery() throws Exception {
    Recorder recorder = new Recorder();
    Recorder other = new Recorder();
    AutoCloseable sub = chord.subscribe("room", recorder);
    try (AutoCloseable keep = chord.subscribe("room", other)) {
      chord.setContext("room", Map.of("a", 1));
      await().atMost(WAIT).until(() -> recorder.records.size() == 1);
      sub.close();
      chord.updateContext("room", Map.of("a", 2));
      await().atMost(WAIT).until(() -> other.records.size() == 2);
      assertThat(recorder.versions()).containsExactly(1L);
      sub.close(); // idempotent
    }
  }

  @Test
  void throwingListener_keepsReceivingAndOthersUnaffected() throws Exception {
    List<Long> seenByThrower = new CopyOnWriteArrayList<>();
    Recorder recorder = new Recorder();
    try (AutoCloseable bad =
            chord.subscribe(
                "room",
                r -> {
                  seenByThrower.add(r.version());
                  throw new IllegalStateException("listener failed on " + r.version());
                });
        AutoCloseable good = chord.subscribe("room", recorder)) {
      for (int i = 1; i <= 5; i++) {
        assertThat(chord.setContext("room", Map.of("n", i)).context().version()).isEqualTo(i);
      }
      await().atMost(WAIT).until(() -> recorder.records.size() == 5 && seenByThrower.size() == 5);
      assertThat(seenByThrower).containsExactly(1L, 2L, 3L, 4L, 5L);
      assertThat(recorder.versions()).containsExactly(1L, 2L, 3L, 4L, 5L);
    }
  }

  @Test
  void deleteAndRecreate_deliversNewIncarnationFromVersion1() throws Exception {
    Recorder recorder = new Recorder();
    try (AutoCloseable sub = chord.subscribe("room", recorder)) {
      chord.setContext("room", Map.of("a", 1));
      chord.updateContext("room", Map.of("a", 2));
      chord.updateContext("room", Map.of("a", 3));
      chord.deleteContext("room");
      ContextUpdate fresh = chord.setContext("room", Map.of("b", 1));
      chord.updateContext("room", Map.of("b", 2));
      await().atMost(WAIT).until(() -> recorder.records.size() == 5);
      assertThat(recorder.versions()).containsExactly(1L, 2L, 3L, 1L, 2L);
      assertThat(recorder.records.get(3)).isEqualTo(fresh.deltaRecord());
    }
  }

  @Test
  void deleteAndRecreateThroughAnotherInstance_newIncarnationDeliveredFromVersion1()
      throws Exception {
    InMemoryBackend shared = InMemoryBackend.create();
    Recorder recorder = new Recorder();
    try (Chord writer = Chord.builder().backend(shared).build();
        Chord reader = Chord.builder().backend(new HookedBackend(shared)).build();
        AutoCloseable sub = reader.subscribe("room", recorder)) {
      writer.setContext("room", Map.of("a", 1));
      writer.updateContext("room", Map.of("a", 2));
      writer.updateContext("room", Map.of("a", 3));
      writer.deleteContext("room");
      ContextUpdate fresh = writer.setContext("room", Map.of("b", 1));
      ContextUpdate second = writer.updateContext("room", Map.of("b", 2));
      await().atMost(WAIT).until(() -> recorder.records.size() == 5);
      assertThat(recorder.versions()).containsExactly(1L, 2L, 3L, 1L, 2L);
      assertThat(recorder.records.subList(3, 5))
          .containsExactly(fresh.deltaRecord(), second.deltaRecord());
    }
  }

  @Test
  void deleteAndRecreate_whileAnOldRecordIsStillBeingPublished_keepsEveryListenerInOrder()
      throws Exception {
    chord.setContext("room", Map.of("a", 1));
    CountDownLatch inSlowListener = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Recorder other = new Recorder();
    try (AutoCloseable slow =
            chord.subscribe(
                "room",
                record -> {
                  if (record.version() == 2) {
                    inSlowListener.countDown();
                    try {
                      release.await();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                });
        AutoCloseable sub = chord.subscribe("room", other)) {
      Future<ContextUpdate> old = pool.submit(() -> chord.updateContext("room", Map.of("old", 1)));
      assertThat(inSlowListener.await(30, TimeUnit.SECONDS)).isTrue();
      chord.deleteContext("room");
      ContextUpdate fresh = chord.setContext("room", Map.of("new", 1));
      release.countDown();
      ContextUpdate oldUpdate = old.get(30, TimeUnit.SECONDS);

      await().atMost(WAIT).until(() -> other.records.size() >= 2);
      assertThat(other.records).containsExactly(oldUpdate.deltaRecord(), fresh.deltaRecord());
    }
  }

  @Test
  void deleteAndRecreate_whileADeliveryIsInProgress_newIncarnationStillDelivered()
      throws Exception {
    CountDownLatch inListener = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Recorder recorder = new Recorder();
    try (AutoCloseable sub =
        chord.subscribe(
            "room",
            r -> {
              recorder.accept(r);
              if (r.version() == 3) {
                inListener.countDown();
                await().atMost(WAIT).until(() -> release.getCount() == 0);
              }
            })) {
      chord.setContext("room", Map.of("a", 1));
      chord.updateContext("room", Map.of("a", 2));
      Future<?> writer = pool.submit(() -> chord.updateContext("room", Map.of("a", 3)));
      assertThat(inListener.await(30, TimeUnit.SECONDS)).isTrue();
      // The writer's thread is inside the listener with version 3; the new incarnation's
      // records queue up behind it and must not be taken for repeats of the old one.
      chord.deleteContext("room");
      chord.setContext("room", Map.of("b", 1));
      chord.updateContext("room", Map.of("b", 2));
      release.countDown();
      writer.get(30, TimeUnit.SECONDS);
      await().atMost(WAIT).until(() -> recorder.records.size() >= 5);
      assertThat(recorder.versions()).containsExactly(1L, 2L, 3L, 1L, 2L);
    }
  }

  @Test
  void deleteThenOtherWriterCommitsBeforeResetIsSeen_newVersion1StillDelivered() throws Exception {
    HookedBackend backend = new HookedBackend();
    try (Chord racy = Chord.builder().backend(backend).build()) {
      Recorder recorder = new Recorder();
      racy.subscribe("room", recorder);
      racy.setContext("room", Map.of("a", 1));
      racy.updateContext("room", Map.of("a", 2));
      // Another writer recreates the context right after the delete, before Chord resets the
      // subscription: its version 1 arrives while the subscription still expects version 3.
      backend.afterDelete = () -> racy.setContext("room", Map.of("b", 1));
      racy.deleteContext("room");
      await().atMost(WAIT).until(() -> recorder.records.size() == 3);
      assertThat(recorder.versions()).containsExactly(1L, 2L, 1L);
      assertThat(recorder.records.get(2).delta()).isEqualTo(Delta.diff(Map.of(), Map.of("b", 1)));
    }
  }

  @Test
  void restoreToLowerVersionThenCommitBeforeResetIsSeen_commitDelivered() throws Exception {
    HookedBackend backend = new HookedBackend();
    restoreVersion.set(2);
    try (Chord racy =
        Chord.builder()
            .backend(backend)
            .externalProvider(id -> Optional.of(new Context(id, 2, Map.of("r", 1), 0)))
            .build()) {
      Recorder recorder = new Recorder();
      racy.subscribe("room", recorder);
      for (int i = 1; i <= 5; i++) {
        racy.setContext("room", Map.of("n", i));
      }
      backend.afterRestore = () -> racy.updateContext("room", Map.of("r", 2));
      racy.restoreContext("room");
      await().atMost(WAIT).until(() -> recorder.records.size() == 6);
      assertThat(recorder.versions()).containsExactly(1L, 2L, 3L, 4L, 5L, 3L);
    }
  }

  @Test
  void unreliableFeed_lateAndRepeatedRecords_deliveredExactlyOnceInOrder() throws Exception {
    HookedBackend backend = new HookedBackend();
    backend.unreliableFeed = true;
    try (Chord shaky = Chord.builder().backend(backend).build()) {
      Recorder recorder = new Recorder();
      shaky.subscribe("room", recorder);
      for (int i = 1; i <= 20; i++) {
        shaky.setContext("room", Map.of("n", i));
      }
      await().atMost(WAIT).until(() -> recorder.versions().contains(20L));
      assertThat(recorder.versions()).isEqualTo(range(1, 20));
      for (DeltaRecord record : recorder.records) {
        assertThat(record.delta().applyTo(Map.of())).containsEntry("n", record.version());
      }
    }
  }

  @Test
  void restore_deliversFromRestoredVersionOn() throws Exception {
    Recorder recorder = new Recorder();
    try (AutoCloseable sub = chord.subscribe("room", recorder)) {
      chord.setContext("room", Map.of("a", 1));
      chord.restoreContext("room"); // version 50, no record
      chord.updateContext("room", Map.of("a", 2));
      await().atMost(WAIT).until(() -> recorder.records.size() == 2);
      assertThat(recorder.versions()).containsExactly(1L, 51L);
    }
  }

  @Test
  void concurrentWriters_everyRecordOnceInOrderToEachListener() throws Exception {
    chord.setContext("room", Map.of());
    List<Recorder> recorders = List.of(new Recorder(), new Recorder(), new Recorder());
    List<AutoCloseable> subs = new ArrayList<>();
    for (Recorder recorder : recorders) {
      subs.add(chord.subscribe("room", recorder));
    }
    Recorder seenByThrower = new Recorder();
    AutoCloseable thrower =
        chord.subscribe(
            "room",
            r -> {
              seenByThrower.accept(r);
              throw new IllegalStateException("always fails");
            });
    int threads = 8;
    int perThread = 150;
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      futures.add(
          pool.submit(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  chord.updateContext("room", Map.of("p", Map.of("t" + thread, Map.of("i", i))));
                }
              }));
    }
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    long last = 1 + (long) threads * perThread;
    assertThat(chord.getContext("room").orElseThrow().version()).isEqualTo(last);
    for (Recorder recorder : concat(recorders, seenByThrower)) {
      await().atMost(WAIT).until(() -> recorder.records.size() >= last - 1);
      assertThat(recorder.versions()).isEqualTo(range(2, last));
    }
    for (AutoCloseable sub : subs) {
      sub.close();
    }
    thrower.close();
  }

  @Test
  void subscribeWhileWriting_noRecordTwiceNoneMissingAfterSubscribe() throws Exception {
    chord.setContext("room", Map.of());
    CountDownLatch started = new CountDownLatch(1);
    AtomicBoolean subscribed = new AtomicBoolean();
    Future<?> writer =
        pool.submit(
            () -> {
              // Keeps writing until every subscription is in place, so they overlap writes.
              for (int i = 0; i < 50 || !subscribed.get(); i++) {
                chord.updateContext("room", Map.of("n", i));
                started.countDown();
              }
            });
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
    List<Recorder> recorders = new ArrayList<>();
    List<Long> versionAtSubscribe = new ArrayList<>();
    List<AutoCloseable> subs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Recorder recorder = new Recorder();
      subs.add(chord.subscribe("room", recorder));
      // Every version after this read was committed after subscribe returned.
      versionAtSubscribe.add(chord.getContext("room").orElseThrow().version());
      recorders.add(recorder);
    }
    subscribed.set(true);
    writer.get(60, TimeUnit.SECONDS);
    long last = chord.updateContext("room", Map.of("final", true)).context().version();
    for (int i = 0; i < recorders.size(); i++) {
      Recorder recorder = recorders.get(i);
      await().atMost(WAIT).until(() -> recorder.versions().contains(last));
      List<Long> versions = recorder.versions();
      assertThat(versions).doesNotHaveDuplicates().isSorted();
      assertThat(versions).containsAll(range(versionAtSubscribe.get(i) + 1, last));
      assertThat(versions).isEqualTo(range(versions.get(0), last));
    }
    for (AutoCloseable sub : subs) {
      sub.close();
    }
  }
}
