package dev.chord;

import static dev.chord.ModelListener.Event.absent;
import static dev.chord.ModelListener.Event.delta;
import static dev.chord.ModelListener.Event.reset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.ModelListener.Event;
import dev.chord.memory.InMemoryBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * subscribe(id, ContextListener): deltas and resets in one order, each once, so that a listener
 * applying the rule (reset: replace; delta: same epoch, next version) stays at the stored state —
 * across deletes, re-creations and restores, through other nodes and over a feed that loses
 * messages.
 */
class ChordContextListenerTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String ID = "room";

  private final InMemoryBackend shared = InMemoryBackend.create();
  private final HookedBackend hooked = new HookedBackend(shared);
  private final AtomicInteger restoreVersion = new AtomicInteger(5);
  private final Chord chord = node(hooked, 100);
  private final Chord peer = node(new HookedBackend(shared), 100);
  private final List<Subscription> subscriptions = new ArrayList<>();
  private final ExecutorService pool = Executors.newFixedThreadPool(6);

  /** A node on {@code backend}; closing it leaves {@link #shared} open. */
  private Chord node(HookedBackend backend, int threshold) {
    return Chord.builder()
        .backend(backend)
        .deltaThreshold(threshold)
        .externalProvider(
            id -> Optional.of(new Context(id, restoreVersion.get(), Map.of("restored", true), 0)))
        .build();
  }

  @AfterEach
  void close() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    closeSubscriptions();
    chord.close();
    peer.close();
  }

  private ModelListener subscribe(Chord node) {
    ModelListener model = new ModelListener().startingAt(shared.get(ID));
    subscriptions.add(node.subscribe(ID, model));
    return model;
  }

  private void closeSubscriptions() {
    subscriptions.forEach(Subscription::close);
    subscriptions.clear();
  }

  private static void assertFollowed(ModelListener model, Optional<Context> stored) {
    assertThat(model.violations()).isEmpty();
    assertThat(model.isAt(stored)).as("%s is at %s", model.describe(), stored).isTrue();
  }

  private String epoch() {
    return shared.get(ID).orElseThrow().epoch();
  }

  @Test
  void deleteThenCreate_resetToAbsentThenVersion1OfTheNewEpoch() {
    ModelListener local = subscribe(chord);
    ModelListener remote = subscribe(peer);
    chord.setContext(ID, Map.of("a", 1));
    chord.updateContext(ID, Map.of("a", 2));
    String first = epoch();
    peer.deleteContext(ID);
    chord.setContext(ID, Map.of("b", 1));
    String second = epoch();
    peer.updateContext(ID, Map.of("b", 2));

    List<Event> expected =
        List.of(delta(first, 1), delta(first, 2), absent(), delta(second, 1), delta(second, 2));
    assertThat(second).isNotEqualTo(first);
    for (ModelListener model : List.of(local, remote)) {
      assertThat(model.events()).isEqualTo(expected);
      assertFollowed(model, shared.get(ID));
    }
  }

  @Test
  void restore_resetToTheRestoredContextWithItsNewEpoch() {
    ModelListener local = subscribe(chord);
    ModelListener remote = subscribe(peer);
    chord.setContext(ID, Map.of("a", 1));
    String before = epoch();
    for (int i = 2; i <= 5; i++) {
      chord.updateContext(ID, Map.of("a", i));
    }
    Context restored = peer.restoreContext(ID); // version 5 again
    chord.updateContext(ID, Map.of("after", true));

    assertThat(restored.version()).isEqualTo(5);
    assertThat(restored.epoch()).isNotEqualTo(before);
    for (ModelListener model : List.of(local, remote)) {
      List<Event> events = model.events();
      assertThat(events.subList(5, events.size()))
          .containsExactly(reset(restored), delta(restored.epoch(), 6));
      assertFollowed(model, shared.get(ID));
    }
  }

  @Test
  void subscribedToAnExistingContext_continuesFromTheStoredState() {
    chord.setContext(ID, Map.of("a", 1));
    chord.updateContext(ID, Map.of("a", 2));
    ModelListener model = subscribe(chord);
    chord.updateContext(ID, Map.of("a", 3));
    assertThat(model.events()).containsExactly(delta(epoch(), 3));
    assertFollowed(model, shared.get(ID));
  }

  @Test
  void holeInTheFeed_filledFromHistory_noReset() {
    hooked.lostRecords = r -> r.version() == 3 || r.version() == 4;
    ModelListener model = subscribe(chord);
    for (int i = 1; i <= 6; i++) {
      chord.setContext(ID, Map.of("n", i));
    }
    String epoch = epoch();
    List<Event> expected = new ArrayList<>();
    for (long v = 1; v <= 6; v++) {
      expected.add(delta(epoch, v));
    }
    assertThat(model.events()).isEqualTo(expected);
    assertFollowed(model, shared.get(ID));
  }

  @Test
  void holeNoLongerInHistory_resetToTheCurrentContext() {
    try (Chord small = node(hooked, 2)) {
      hooked.lostRecords = r -> r.version() >= 2 && r.version() <= 4;
      ModelListener model = subscribe(small);
      for (int i = 1; i <= 6; i++) {
        small.setContext(ID, Map.of("n", i));
      }
      String epoch = epoch();
      // Version 5 shows the hole; versions 2 to 4 are trimmed (2 deltas kept), so it is a reset.
      assertThat(model.events()).containsExactly(delta(epoch, 1), reset(epoch, 5), delta(epoch, 6));
      assertFollowed(model, shared.get(ID));
    }
  }

  @Test
  void lostDeleteReset_newIncarnationArrivesAsAReset() {
    ModelListener model = subscribe(chord);
    chord.setContext(ID, Map.of("a", 1));
    chord.updateContext(ID, Map.of("a", 2));
    hooked.lostResets = true;
    chord.deleteContext(ID);
    Context recreated = chord.setContext(ID, Map.of("b", 1)).context();
    chord.updateContext(ID, Map.of("b", 2));

    List<Event> events = model.events();
    assertThat(events.subList(2, events.size()))
        .containsExactly(reset(recreated.epoch(), 1), delta(recreated.epoch(), 2));
    assertFollowed(model, shared.get(ID));
  }

  @Test
  void lostRestoreReset_nextRecordOfTheNewEpochArrivesAsAReset() {
    ModelListener model = subscribe(chord);
    chord.setContext(ID, Map.of("a", 1));
    hooked.lostResets = true;
    restoreVersion.set(1);
    Context restored = chord.restoreContext(ID);
    assertThat(model.events()).hasSize(1);
    chord.updateContext(ID, Map.of("after", 1));
    chord.updateContext(ID, Map.of("after", 2));

    assertThat(model.events().subList(1, 3))
        .containsExactly(reset(restored.epoch(), 2), delta(restored.epoch(), 3));
    assertFollowed(model, shared.get(ID));
  }

  /**
   * A backend read that fails while a hole is being filled keeps the record queued: the next event
   * (here a repeat of an old record, which fills nothing itself) delivers it. A subscription that
   * dropped the record would deliver nothing here.
   */
  @Test
  void historyFailsWhileFillingAHole_recordKeptAndHandledOnTheNextEvent() {
    hooked.lostRecords = r -> r.version() == 3;
    ModelListener model = subscribe(chord);
    DeltaRecord first = chord.setContext(ID, Map.of("n", 1)).deltaRecord();
    chord.setContext(ID, Map.of("n", 2));
    chord.setContext(ID, Map.of("n", 3));
    hooked.historyFailures.set(1);
    chord.setContext(ID, Map.of("n", 4));
    String epoch = epoch();
    assertThat(model.events()).containsExactly(delta(epoch, 1), delta(epoch, 2));
    assertThat(hooked.historyFailures.get()).as("the failing read happened").isZero();

    hooked.subscribers.get(0).onDelta(first);

    assertThat(model.events())
        .containsExactly(delta(epoch, 1), delta(epoch, 2), delta(epoch, 3), delta(epoch, 4));
    assertFollowed(model, shared.get(ID));
  }

  @Test
  void throwingListener_keepsGettingEventsInOrder() {
    ModelListener model = new ModelListener();
    chord.subscribe(
        ID,
        new ContextListener() {
          @Override
          public void onDelta(DeltaRecord record) {
            model.onDelta(record);
            throw new IllegalStateException("listener failed");
          }

          @Override
          public void onReset(Optional<Context> current) {
            model.onReset(current);
            throw new IllegalStateException("listener failed");
          }
        });
    chord.setContext(ID, Map.of("a", 1));
    chord.deleteContext(ID);
    chord.setContext(ID, Map.of("b", 1));
    // The start (absent, through the default onStart), the create, the delete, the re-create.
    assertThat(model.events()).hasSize(4).containsSubsequence(absent(), absent());
    assertThat(model.events().get(2)).isEqualTo(absent());
    assertFollowed(model, shared.get(ID));
  }

  /**
   * Writers on several threads and two nodes, while another thread deletes, re-creates and
   * restores: every listener, on either node, ends at the stored state without ever receiving an
   * event the rule cannot apply, and sees no more resets than there were deletes and restores.
   */
  @Test
  void concurrentWritesDeletesAndRestores_modelListenersEndAtTheStoredState() {
    RandomRuns.repeat(5, this::concurrentRun);
  }

  private void concurrentRun(Random random) {
    shared.delete(ID);
    List<ModelListener> models = List.of(subscribe(chord), subscribe(peer), subscribe(chord));
    List<Chord> nodes = List.of(chord, peer);
    int writers = 4;
    int writes = 250;
    int lifecycleOps = 40;
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    AtomicInteger lifecycle = new AtomicInteger();
    for (int w = 0; w < writers; w++) {
      Random own = new Random(random.nextLong());
      String key = "w" + w;
      futures.add(
          pool.submit(
              () -> {
                go.await();
                for (int i = 0; i < writes; i++) {
                  Chord node = nodes.get(own.nextInt(2));
                  Map<String, Object> change = Map.of(key, i, "m", RandomRuns.map(own, 2));
                  try {
                    node.updateContext(ID, change);
                  } catch (ContextNotFoundException e) {
                    node.setContext(ID, change);
                  }
                }
                return null;
              }));
    }
    Random own = new Random(random.nextLong());
    futures.add(
        pool.submit(
            () -> {
              go.await();
              for (int i = 0; i < lifecycleOps; i++) {
                Chord node = nodes.get(own.nextInt(2));
                int op = own.nextInt(3);
                if (op == 0) {
                  node.deleteContext(ID);
                } else if (op == 1) {
                  node.deleteContext(ID);
                  node.setContext(ID, Map.of("recreated", i));
                } else {
                  restoreVersion.set(1 + own.nextInt(5));
                  node.restoreContext(ID);
                }
                lifecycle.incrementAndGet();
                Thread.yield();
              }
              return null;
            }));
    go.countDown();
    for (Future<?> future : futures) {
      try {
        future.get(120, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    chord.setContext(ID, Map.of("final", true));
    for (ModelListener model : models) {
      await().atMost(WAIT).until(() -> model.isAt(shared.get(ID)));
      assertFollowed(model, shared.get(ID));
      assertThat(model.resets()).isLessThanOrEqualTo(lifecycle.get());
    }
    closeSubscriptions();
  }
}
