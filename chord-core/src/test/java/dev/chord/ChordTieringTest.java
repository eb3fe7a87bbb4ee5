package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.chord.ChordEvent.Operation;
import dev.chord.ChordEvent.Outcome;
import dev.chord.memory.InMemoryBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** exportOnChange, restoreOnMiss and evictAfter. */
@Timeout(60)
class ChordTieringTest {
  private final MutableClock clock = MutableClock.start();
  private final InMemoryBackend backend = InMemoryBackend.create();
  private final Store store = new Store();
  private final List<ChordEvent> events = new CopyOnWriteArrayList<>();

  /** A store of our SPI: the last context exported per id, and every export. */
  static class Store implements ContextExporter, ContextProvider {
    final Map<String, Context> contexts = new ConcurrentHashMap<>();
    final List<Context> exports = new CopyOnWriteArrayList<>();
    final AtomicInteger fetches = new AtomicInteger();
    final AtomicInteger failuresLeft = new AtomicInteger();

    @Override
    public void export(Context context) throws Exception {
      if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new java.io.IOException("store down");
      }
      exports.add(context);
      contexts.put(context.contextId(), context);
    }

    @Override
    public Optional<Context> fetch(String contextId) {
      fetches.incrementAndGet();
      return Optional.ofNullable(contexts.get(contextId));
    }

    @Override
    public void delete(String contextId) {
      contexts.remove(contextId);
    }
  }

  private Chord.Builder tiered() {
    return Chord.builder()
        .backend(backend)
        .clock(clock)
        .timeUnit(java.time.temporal.ChronoUnit.MILLIS)
        .exporter(store)
        .externalProvider(store)
        .listener(events::add);
  }

  // ---- exportOnChange ----

  @Test
  void close_whileAFlushExports_waitsForItAndLeavesTheNewestVersionExported() throws Exception {
    CountDownLatch exporting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Map<String, Context> slowStore = new ConcurrentHashMap<>();
    ContextExporter slow =
        context -> {
          exporting.countDown();
          // Interruptible, as a real store's I/O is: a close that shut the flush thread down
          // under it would make this export fail.
          release.await();
          slowStore.put(context.contextId(), context);
        };
    Chord chord =
        Chord.builder()
            .backend(backend)
            .clock(clock)
            .exporter(slow)
            .exportOnChange(Duration.ofMillis(20))
            .build();
    long newest = chord.setContext("a", Map.of("n", 1L)).context().version();
    assertThat(exporting.await(30, TimeUnit.SECONDS)).as("a flush is exporting").isTrue();

    CompletableFuture<Void> closing = CompletableFuture.runAsync(chord::close);
    Thread.sleep(100); // lets close() reach the running flush; the assertions do not time it
    release.countDown();
    closing.get(30, TimeUnit.SECONDS);

    assertThat(slowStore.get("a")).isNotNull();
    assertThat(slowStore.get("a").version()).isEqualTo(newest);
  }

  @Test
  void exportOnChange_burst_closeExportsNewestVersionOnce() {
    Chord chord = tiered().exportOnChange(Duration.ofHours(1)).build();
    chord.setContext("a", Map.of("n", 0L));
    for (long i = 1; i <= 50; i++) {
      chord.updateContext("a", Map.of("n", i));
    }
    chord.setContext("b", Map.of("n", 1L));
    assertThat(store.exports).isEmpty();
    chord.close();
    assertThat(store.exports).hasSize(2);
    assertThat(store.contexts.get("a").version()).isEqualTo(51);
    assertThat(store.contexts.get("a").data()).containsEntry("n", 50L);
    assertThat(store.contexts.get("b").version()).isEqualTo(1);
  }

  @Test
  void exportOnChange_exporterBlocked_commitsGoOnAndNewestIsExportedAfter() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    List<Context> seen = new CopyOnWriteArrayList<>();
    ContextExporter blocking =
        context -> {
          if (calls.getAndIncrement() == 0) {
            release.await();
          }
          seen.add(context);
        };
    try (Chord chord =
        Chord.builder().exporter(blocking).exportOnChange(Duration.ofMillis(20)).build()) {
      chord.setContext("a", Map.of("n", 0L));
      await().atMost(10, TimeUnit.SECONDS).until(() -> calls.get() == 1);
      // The flush is stuck in the exporter: commits do not wait for it.
      for (long i = 1; i <= 100; i++) {
        chord.updateContext("a", Map.of("n", i));
      }
      assertThat(chord.getContext("a").orElseThrow().version()).isEqualTo(101);
      release.countDown();
      await()
          .atMost(10, TimeUnit.SECONDS)
          .until(() -> !seen.isEmpty() && seen.get(seen.size() - 1).version() == 101);
      assertThat(seen.size()).isLessThan(10);
    }
  }

  @Test
  void exportOnChange_exporterFails_retriedAndReportedAsEvents() {
    store.failuresLeft.set(2);
    try (Chord chord = tiered().exportOnChange(Duration.ofMillis(20)).build()) {
      chord.setContext("a", Map.of("n", 1L));
      await().atMost(10, TimeUnit.SECONDS).until(() -> store.contexts.containsKey("a"));
      assertThat(store.contexts.get("a").version()).isEqualTo(1);
    }
    List<ChordEvent> exportEvents =
        events.stream().filter(e -> e.operation() == Operation.EXPORT).toList();
    assertThat(exportEvents)
        .extracting(ChordEvent::outcome)
        .containsExactly(Outcome.ERROR, Outcome.ERROR, Outcome.OK);
    assertThat(exportEvents.get(0).error()).hasMessageContaining("store down");
  }

  @Test
  void close_exporterStillFailing_throwsNamingTheContextAfterClosing() {
    store.failuresLeft.set(Integer.MAX_VALUE);
    Chord chord = tiered().exportOnChange(Duration.ofHours(1)).build();
    chord.setContext("a", Map.of("n", 1L));
    assertThatThrownBy(chord::close)
        .isInstanceOf(ChordException.class)
        .hasMessageContaining("[a]")
        .hasMessageContaining("not exported");
    assertThatThrownBy(() -> chord.getContext("a")).isInstanceOf(IllegalStateException.class);
    assertThat(events)
        .anyMatch(e -> e.operation() == Operation.EXPORT && e.outcome() == Outcome.ERROR);
  }

  @Test
  void exportOnChange_restoreContext_exportsTheRestoredIncarnation() {
    store.contexts.put("a", new Context("a", 7, Map.of("x", 1L), 0, Epochs.next()));
    Chord chord = tiered().exportOnChange(Duration.ofHours(1)).build();
    Context restored = chord.restoreContext("a");
    chord.close();
    assertThat(store.contexts.get("a")).isEqualTo(restored);
  }

  // ---- restoreOnMiss ----

  @Test
  void restoreOnMiss_getAbsent_restoresUnderFreshEpoch() {
    String oldEpoch = Epochs.next();
    store.contexts.put("a", new Context("a", 7, Map.of("x", 1L), 5, oldEpoch));
    try (Chord chord = tiered().restoreOnMiss(true).build()) {
      Context got = chord.getContext("a").orElseThrow();
      assertThat(got.version()).isEqualTo(7);
      assertThat(got.data()).isEqualTo(Map.of("x", 1L));
      // Not evicted by this node: the copy may be older than what clients saw.
      assertThat(got.epoch()).isNotEqualTo(oldEpoch);
      assertThat(chord.getContext("a")).contains(got);
      assertThat(store.fetches).hasValue(1);
    }
  }

  @Test
  void restoreOnMiss_setWithBadData_rejectedBeforeTheStoreIsAsked() {
    store.contexts.put("a", new Context("a", 7, Map.of("x", 1L), 5, Epochs.next()));
    try (Chord chord = tiered().restoreOnMiss(true).build()) {
      assertThatThrownBy(() -> chord.setContext("a", Map.of("x", Double.NaN)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("finite");
      assertThatThrownBy(() -> chord.setContext("a", Map.of("x", Double.NaN), 0L))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(store.fetches).hasValue(0);
      assertThat(backend.get("a")).isEmpty();
      assertThat(store.exports).isEmpty();
    }
  }

  @Test
  void conditionalSetWithBadData_isBadInput_notAVersionConflict() {
    try (Chord chord = tiered().build()) {
      chord.setContext("b", Map.of("x", 1L));
      chord.setContext("b", Map.of("x", 2L));
      assertThatThrownBy(() -> chord.setContext("b", Map.of("x", Double.NaN), 1L))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(chord.getContext("b").orElseThrow().version()).isEqualTo(2);
    }
  }

  @Test
  void restoreOnMiss_providerHasNothing_absentAsBefore() {
    try (Chord chord = tiered().restoreOnMiss(true).build()) {
      assertThat(chord.getContext("a")).isEmpty();
      assertThatThrownBy(() -> chord.syncContext("a", 0L))
          .isInstanceOf(ContextNotFoundException.class);
      assertThatThrownBy(() -> chord.updateContext("a", Map.of("x", 1L)))
          .isInstanceOf(ContextNotFoundException.class);
      assertThat(chord.setContext("a", Map.of("x", 1L)).context().version()).isEqualTo(1);
    }
  }

  @Test
  void restoreOnMiss_writesAndSync_runOnTheRestoredContext() {
    store.contexts.put("u", new Context("u", 3, Map.of("x", 1L), 0, null));
    store.contexts.put("s", new Context("s", 3, Map.of("x", 1L), 0, null));
    store.contexts.put("c", new Context("c", 3, Map.of("x", 1L), 0, null));
    store.contexts.put("y", new Context("y", 3, Map.of("x", 1L), 0, null));
    try (Chord chord = tiered().restoreOnMiss(true).build()) {
      ContextUpdate updated = chord.updateContext("u", Map.of("y", 2L));
      assertThat(updated.context().version()).isEqualTo(4);
      assertThat(updated.context().data()).isEqualTo(Map.of("x", 1L, "y", 2L));
      assertThat(chord.setContext("s", Map.of("z", 1L)).context().version()).isEqualTo(4);
      assertThatThrownBy(() -> chord.setContext("c", Map.of(), 0))
          .isInstanceOf(VersionConflictException.class);
      assertThat(chord.getContext("c").orElseThrow().version()).isEqualTo(3);
      SyncResult sync = chord.syncContext("y", 0L);
      assertThat(sync).isInstanceOf(SyncResult.Full.class);
      assertThat(((SyncResult.Full) sync).context().version()).isEqualTo(3);
    }
  }

  @Test
  void restoreOnMiss_conditionalUpdateOfEvictedId_appliesAtItsVersion() {
    try (Chord chord = tiered().restoreOnMiss(true).evictAfter(Duration.ofMinutes(1)).build()) {
      Context c = chord.setContext("a", Map.of("x", 1L)).context();
      clock.advance(Duration.ofMinutes(2));
      chord.cleanup();
      assertThat(backend.get("a")).isEmpty();
      ContextUpdate u = chord.updateContext("a", Map.of("x", 2L), c.version(), c.epoch());
      assertThat(u.context().version()).isEqualTo(2);
      assertThat(u.context().epoch()).isEqualTo(c.epoch());
    }
  }

  @Test
  void restoreOnMiss_concurrentMisses_oneProviderCall() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    ContextProvider counting =
        id -> {
          calls.incrementAndGet();
          release.await();
          return Optional.of(new Context(id, 9, Map.of("x", 1L), 0));
        };
    int threads = 8;
    try (Chord chord = Chord.builder().externalProvider(counting).restoreOnMiss(true).build()) {
      List<Thread> workers = new ArrayList<>();
      List<Object> results = new CopyOnWriteArrayList<>();
      for (int i = 0; i < threads; i++) {
        int n = i;
        Thread t =
            new Thread(
                () -> {
                  switch (n % 3) {
                    case 0 -> results.add(chord.getContext("room").orElseThrow().version());
                    case 1 ->
                        results.add(
                            ((SyncResult.Full) chord.syncContext("room", 0L)).context().version());
                    default ->
                        results.add(
                            chord.updateContext("room", Map.of("t" + n, 1L)).context().version());
                  }
                });
        workers.add(t);
        t.start();
      }
      // Every worker is waiting: one in the provider, the others on its flight.
      await()
          .atMost(10, TimeUnit.SECONDS)
          .until(
              () ->
                  workers.stream()
                      .allMatch(
                          t ->
                              t.getState() == Thread.State.WAITING
                                  || t.getState() == Thread.State.TIMED_WAITING));
      release.countDown();
      for (Thread t : workers) {
        t.join(10_000);
      }
      assertThat(calls).hasValue(1);
      assertThat(results).hasSize(threads);
      // Updates applied on top of the restored version 9, none lost.
      long updates = java.util.stream.IntStream.range(0, threads).filter(n -> n % 3 == 2).count();
      assertThat(chord.getContext("room").orElseThrow().version()).isEqualTo(9 + updates);
    }
  }

  @Test
  void restoreOnMiss_providerFails_chordExceptionAndNothingRestored() {
    ContextProvider failing =
        id -> {
          throw new java.io.IOException("disk gone");
        };
    try (Chord chord =
        Chord.builder().backend(backend).externalProvider(failing).restoreOnMiss(true).build()) {
      assertThatThrownBy(() -> chord.getContext("a"))
          .isInstanceOf(ChordException.class)
          .hasMessageContaining("disk gone");
      assertThat(backend.get("a")).isEmpty();
    }
  }

  // ---- evictAfter ----

  @Test
  void evictAfter_idle_exportedThenRemovedAndBackWithEpochAndVersion() {
    try (Chord chord = tiered().restoreOnMiss(true).evictAfter(Duration.ofMinutes(10)).build()) {
      chord.setContext("idle", Map.of("x", 1L));
      Context held = chord.updateContext("idle", Map.of("x", 2L)).context();
      clock.advance(Duration.ofMinutes(5));
      chord.setContext("busy", Map.of("x", 1L));
      clock.advance(Duration.ofMinutes(6));

      chord.cleanup();

      assertThat(backend.get("idle")).isEmpty();
      assertThat(backend.get("busy")).isPresent();
      assertThat(store.contexts.get("idle")).isEqualTo(held);
      int fetches = store.fetches.get();

      // A client holding the evicted version is current; an older one gets the full context.
      assertThat(chord.syncContext("idle", held.version(), held.epoch()))
          .isEqualTo(new SyncResult.NoChange(held.version(), held.epoch()));
      assertThat(chord.getContext("idle")).contains(held);
      assertThat(chord.syncContext("idle", 1, held.epoch())).isInstanceOf(SyncResult.Full.class);
      assertThat(store.fetches).hasValue(fetches + 1);
    }
  }

  @Test
  void evictAfter_exporterFails_contextStaysHotAndFailureReported() {
    store.failuresLeft.set(1);
    try (Chord chord = tiered().restoreOnMiss(true).evictAfter(Duration.ofMinutes(1)).build()) {
      chord.setContext("a", Map.of("x", 1L));
      clock.advance(Duration.ofMinutes(2));
      chord.cleanup();
      assertThat(backend.get("a")).isPresent();
      assertThat(events)
          .anyMatch(e -> e.operation() == Operation.EXPORT && e.outcome() == Outcome.ERROR);
      chord.cleanup();
      assertThat(backend.get("a")).isEmpty();
    }
  }

  @Test
  void evictAfter_changedWhileExporting_staysHotAtTheNewVersion() {
    AtomicReference<Chord> self = new AtomicReference<>();
    AtomicInteger exportsSeen = new AtomicInteger();
    ContextExporter racing =
        context -> {
          store.export(context);
          if (exportsSeen.getAndIncrement() == 0) {
            // A write lands between the eviction's export and its removal of the hot copy.
            self.get().updateContext(context.contextId(), Map.of("late", true));
          }
        };
    try (Chord chord =
        Chord.builder()
            .backend(backend)
            .clock(clock)
            .exporter(racing)
            .externalProvider(store)
            .restoreOnMiss(true)
            .evictAfter(Duration.ofMinutes(1))
            .build()) {
      self.set(chord);
      chord.setContext("a", Map.of("x", 1L));
      clock.advance(Duration.ofMinutes(2));
      chord.cleanup();
      assertThat(backend.get("a")).hasValueSatisfying(c -> assertThat(c.version()).isEqualTo(2));
      assertThat(store.contexts.get("a").version()).isEqualTo(1);
    }
  }

  @Test
  void evictAfter_evictedThenStoreCopyReplaced_freshEpoch() {
    try (Chord chord = tiered().restoreOnMiss(true).evictAfter(Duration.ofMinutes(1)).build()) {
      Context held = chord.setContext("a", Map.of("x", 1L)).context();
      clock.advance(Duration.ofMinutes(2));
      chord.cleanup();
      // Someone else put another state under the id in the store.
      store.contexts.put("a", new Context("a", 2, Map.of("x", 9L), 0, held.epoch()));
      Context back = chord.getContext("a").orElseThrow();
      assertThat(back.epoch()).isNotEqualTo(held.epoch());
      assertThat(chord.syncContext("a", 1, held.epoch())).isInstanceOf(SyncResult.Full.class);
    }
  }

  @Test
  void deleteContext_afterEviction_staysDeletedAndTheStoreCopyIsGone() {
    try (Chord chord = tiered().restoreOnMiss(true).evictAfter(Duration.ofMinutes(1)).build()) {
      chord.setContext("a", Map.of("x", 1L));
      chord.setContext("hot", Map.of("x", 1L));
      clock.advance(Duration.ofMinutes(2));
      chord.updateContext("hot", Map.of("x", 2L));
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 0, 1));
      assertThat(store.contexts).containsKey("a");

      chord.deleteContext("a");

      assertThat(store.contexts).doesNotContainKey("a");
      assertThat(chord.getContext("a")).isEmpty();
      assertThatThrownBy(() -> chord.syncContext("a", 0, null))
          .isInstanceOf(ContextNotFoundException.class);
      assertThat(backend.get("a")).isEmpty();
    }
  }

  @Test
  void deleteContext_hotAndExported_staysDeleted() {
    try (Chord chord = tiered().restoreOnMiss(true).exportOnChange(Duration.ofHours(1)).build()) {
      chord.setContext("a", Map.of("x", 1L));
      chord.exportContext("a");
      chord.deleteContext("a");
      assertThat(chord.getContext("a")).isEmpty();
      assertThat(store.contexts).isEmpty();
    }
  }

  @Test
  void deleteContext_exporterWithoutDelete_storeCopyComesBackUnderFreshEpoch() {
    // An archive: export only, ContextExporter.delete's default keeps the copies.
    ContextExporter archive = store::export;
    try (Chord chord =
        tiered().exporter(archive).restoreOnMiss(true).evictAfter(Duration.ofMinutes(1)).build()) {
      Context held = chord.setContext("a", Map.of("x", 1L)).context();
      clock.advance(Duration.ofMinutes(2));
      chord.cleanup();
      chord.deleteContext("a");
      assertThat(chord.getContext("a").orElseThrow().epoch()).isNotEqualTo(held.epoch());
    }
  }

  @Test
  void deleteContext_exporterDeleteFails_chordExceptionAndBackendCopyGone() {
    ContextExporter failing =
        new ContextExporter() {
          @Override
          public void export(Context context) {}

          @Override
          public void delete(String contextId) throws java.io.IOException {
            throw new java.io.IOException("store down");
          }
        };
    try (Chord chord = Chord.builder().backend(backend).exporter(failing).build()) {
      chord.setContext("a", Map.of("x", 1L));
      assertThatThrownBy(() -> chord.deleteContext("a"))
          .isInstanceOf(ChordException.class)
          .hasMessageContaining("'a'")
          .hasMessageContaining("store down");
      assertThat(backend.get("a")).isEmpty();
    }
  }

  /**
   * A flush that read the context before the delete and is still in the exporter when the delete
   * comes: the delete waits for it, so the store's copy is removed after that export, not before.
   */
  @Test
  void deleteContext_whileAFlushExportsIt_storeCopyDoesNotSurvive() throws Exception {
    CountDownLatch inExport = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Store slow =
        new Store() {
          @Override
          public void export(Context context) throws Exception {
            inExport.countDown();
            release.await();
            super.export(context);
          }
        };
    try (Chord chord =
        tiered()
            .exporter(slow)
            .externalProvider(slow)
            .restoreOnMiss(true)
            .exportOnChange(Duration.ofMillis(20))
            .build()) {
      chord.setContext("a", Map.of("x", 1L));
      assertThat(inExport.await(10, TimeUnit.SECONDS)).isTrue();
      Thread deleter = new Thread(() -> chord.deleteContext("a"));
      deleter.start();
      // Blocked on the export lock (without it the delete would end now, before the export).
      await()
          .atMost(10, TimeUnit.SECONDS)
          .until(() -> deleter.getState() == Thread.State.BLOCKED || !deleter.isAlive());
      release.countDown();
      deleter.join(TimeUnit.SECONDS.toMillis(20));
      assertThat(deleter.isAlive()).isFalse();

      assertThat(slow.contexts).doesNotContainKey("a");
      assertThat(chord.getContext("a")).isEmpty();
    }
  }

  /**
   * A miss whose restore is in flight when the delete comes (the provider already read the copy):
   * the delete waits for the restore and then deletes what it restored, in the backend and the
   * store.
   */
  @Test
  void deleteContext_whileAMissRestoresIt_staysDeleted() throws Exception {
    CountDownLatch inFetch = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean blocking = new AtomicBoolean();
    Store slow =
        new Store() {
          @Override
          public Optional<Context> fetch(String contextId) {
            Optional<Context> copy = super.fetch(contextId);
            if (!blocking.get()) {
              // The first set of a new id asks the provider too: that one does not wait.
              return copy;
            }
            inFetch.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return copy;
          }
        };
    try (Chord chord =
        tiered()
            .exporter(slow)
            .externalProvider(slow)
            .restoreOnMiss(true)
            .evictAfter(Duration.ofMinutes(1))
            .build()) {
      chord.setContext("a", Map.of("x", 1L));
      clock.advance(Duration.ofMinutes(2));
      assertThat(chord.cleanup().contextsEvicted()).isEqualTo(1);
      AtomicReference<Optional<Context>> seen = new AtomicReference<>();
      blocking.set(true);
      Thread reader = new Thread(() -> seen.set(chord.getContext("a")));
      reader.start();
      assertThat(inFetch.await(10, TimeUnit.SECONDS)).isTrue();
      Thread deleter = new Thread(() -> chord.deleteContext("a"));
      deleter.start();
      // Waiting for the restore in flight (without that the delete would end now, before it).
      await()
          .atMost(10, TimeUnit.SECONDS)
          .until(() -> deleter.getState() == Thread.State.WAITING || !deleter.isAlive());
      release.countDown();
      reader.join(TimeUnit.SECONDS.toMillis(20));
      deleter.join(TimeUnit.SECONDS.toMillis(20));
      assertThat(reader.isAlive() || deleter.isAlive()).isFalse();

      // The reader got the restored copy (it came before the delete); after the delete, nothing.
      assertThat(seen.get()).isPresent();
      assertThat(backend.get("a")).isEmpty();
      assertThat(slow.contexts).doesNotContainKey("a");
      assertThat(chord.getContext("a")).isEmpty();
    }
  }

  @Test
  void evictAfter_withoutRestoreOnMiss_goneUntilRestored() {
    try (Chord chord = tiered().evictAfter(Duration.ofMinutes(1)).build()) {
      Context held = chord.setContext("a", Map.of("x", 1L)).context();
      clock.advance(Duration.ofMinutes(2));
      chord.cleanup();
      assertThat(chord.getContext("a")).isEmpty();
      Context restored = chord.restoreContext("a");
      assertThat(restored.data()).isEqualTo(held.data());
      assertThat(restored.epoch()).isNotEqualTo(held.epoch());
    }
  }

  // ---- builder ----

  @Test
  void build_tieringWithoutStore_illegalArgumentNamingWhatIsMissing() {
    assertThatThrownBy(() -> Chord.builder().exportOnChange(Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exportOnChange needs an exporter");
    assertThatThrownBy(() -> Chord.builder().evictAfter(Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("evictAfter needs an exporter");
    assertThatThrownBy(() -> Chord.builder().restoreOnMiss(true).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("restoreOnMiss(true) needs a provider");
    assertThatThrownBy(() -> Chord.builder().exportOnChange(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be positive");
    assertThatThrownBy(() -> Chord.builder().evictAfter(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("evictAfter must be positive");
  }
}
