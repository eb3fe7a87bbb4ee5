package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.History;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Many threads writing: no lost update, no reused version, stored deltas replay to the state. */
class ChordConcurrencyTest {
  private static final int THREADS = 8;
  private static final int PER_THREAD = 1000;
  private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

  @AfterEach
  void close() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
  }

  /** Runs {@code task(thread)} on every thread at once and returns what each returned. */
  private <T> List<T> onAllThreads(ThreadTask<T> task) throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      Callable<T> call =
          () -> {
            go.await();
            return task.run(thread);
          };
      futures.add(pool.submit(call));
    }
    go.countDown();
    List<T> results = new ArrayList<>();
    for (Future<T> future : futures) {
      results.add(future.get(120, TimeUnit.SECONDS));
    }
    return results;
  }

  @FunctionalInterface
  interface ThreadTask<T> {
    T run(int thread) throws Exception;
  }

  private static Map<String, Object> participant(int thread, int i) {
    return Map.of("p", Map.of("t" + thread, Map.of("status", "s" + i, "n", i)));
  }

  @Test
  void updates_manyThreadsOneContext_noLostUpdateContiguousVersionsReplayable() throws Exception {
    int total = THREADS * PER_THREAD;
    InMemoryBackend backend = InMemoryBackend.create();
    try (Chord chord = Chord.builder().backend(backend).deltaThreshold(total + 10).build()) {
      chord.setContext("room", Map.of("p", Map.of()));
      List<List<Long>> versions =
          onAllThreads(
              thread -> {
                List<Long> mine = new ArrayList<>();
                for (int i = 0; i < PER_THREAD; i++) {
                  ContextUpdate update = chord.updateContext("room", participant(thread, i));
                  assertThat(update.changed()).isTrue();
                  mine.add(update.context().version());
                }
                return mine;
              });
      Set<Long> all = ConcurrentHashMap.newKeySet();
      for (List<Long> mine : versions) {
        assertThat(mine).isSorted(); // one thread's writes are ordered
        for (long v : mine) {
          assertThat(all.add(v)).as("version %d used twice", v).isTrue();
        }
      }
      assertThat(all).hasSize(total).allMatch(v -> v >= 2 && v <= total + 1);

      Context current = chord.getContext("room").orElseThrow();
      assertThat(current.version()).isEqualTo(total + 1);
      Map<?, ?> participants = (Map<?, ?>) current.data().get("p");
      assertThat(participants).hasSize(THREADS);
      for (int t = 0; t < THREADS; t++) {
        assertThat(participants.get("t" + t))
            .isEqualTo(Map.of("status", "s" + (PER_THREAD - 1), "n", PER_THREAD - 1L));
      }
      // Every delta is kept: replaying all from nothing gives the current state.
      History history = backend.history("room", 0, Integer.MAX_VALUE).orElseThrow();
      assertThat(history.deltas()).extracting(DeltaRecord::version).isEqualTo(range(1, total + 1));
      Map<String, Object> state = Map.of();
      for (DeltaRecord record : history.deltas()) {
        state = record.delta().applyTo(state);
      }
      assertThat(state).isEqualTo(current.data());
      SyncResult.Patch patch = (SyncResult.Patch) chord.syncContext("room", 0L);
      assertThat(patch.delta().applyTo(Map.of())).isEqualTo(current.data());
    }
  }

  @Test
  void setsAndUpdates_mixedWithSmallThreshold_keptSuffixContiguousAndReplayable() throws Exception {
    int threshold = 20;
    InMemoryBackend backend = InMemoryBackend.create();
    try (Chord chord = Chord.builder().backend(backend).deltaThreshold(threshold).build()) {
      chord.setContext("room", Map.of("p", Map.of()));
      // Each thread keeps its own key; setters rewrite the whole map from what they read,
      // which may lose others' keys (that is what set means), but never a version.
      List<Integer> changes =
          onAllThreads(
              thread -> {
                int changed = 0;
                for (int i = 0; i < PER_THREAD; i++) {
                  ContextUpdate update;
                  if (thread % 2 == 0 && i % 5 == 0) {
                    Map<String, Object> whole =
                        new HashMap<>(chord.getContext("room").orElseThrow().data());
                    whole.put("setBy" + thread, i);
                    update = chord.setContext("room", whole);
                  } else {
                    update = chord.updateContext("room", participant(thread, i));
                  }
                  changed += update.changed() ? 1 : 0;
                }
                return changed;
              });
      long committed = changes.stream().mapToLong(Integer::longValue).sum();
      Context current = chord.getContext("room").orElseThrow();
      assertThat(current.version()).isEqualTo(committed + 1);

      History history = backend.history("room", 0, Integer.MAX_VALUE).orElseThrow();
      assertThat(history.deltas())
          .extracting(DeltaRecord::version)
          .isEqualTo(range(current.version() - threshold + 1, current.version()));
      // The oldest kept state: what a client threshold versions behind has, via the inverse.
      Map<String, Object> state = current.data();
      for (int i = history.deltas().size() - 1; i >= 0; i--) {
        state = history.deltas().get(i).delta().invert().applyTo(state);
      }
      Map<String, Object> oldest = state;
      for (DeltaRecord record : history.deltas()) {
        state = record.delta().applyTo(state);
      }
      assertThat(state).isEqualTo(current.data());
      SyncResult.Patch patch =
          (SyncResult.Patch) chord.syncContext("room", current.version() - threshold);
      assertThat(patch.delta().applyTo(oldest)).isEqualTo(current.data());
    }
  }

  @Test
  void updates_manyContextsConcurrently_eachComplete() throws Exception {
    try (Chord chord = Chord.inMemory()) {
      chord.setContext("shared", Map.of());
      onAllThreads(
          thread -> {
            String id = "room-" + thread;
            chord.setContext(id, Map.of("owner", thread));
            for (int i = 0; i < PER_THREAD; i++) {
              chord.updateContext(id, Map.of("n", i));
              chord.updateContext("shared", Map.of("t" + thread, i));
            }
            return null;
          });
      for (int t = 0; t < THREADS; t++) {
        Context context = chord.getContext("room-" + t).orElseThrow();
        assertThat(context.version()).isEqualTo(PER_THREAD + 1);
        assertThat(context.data()).isEqualTo(Map.of("owner", (long) t, "n", PER_THREAD - 1L));
      }
      Context shared = chord.getContext("shared").orElseThrow();
      assertThat(shared.version()).isEqualTo(1 + THREADS * PER_THREAD);
      assertThat(shared.data())
          .hasSize(THREADS)
          .allSatisfy((k, v) -> assertThat(v).isEqualTo(PER_THREAD - 1L));
    }
  }

  @Test
  void slowListenerOnOneContext_blocksNoWriter() throws Exception {
    try (Chord chord = Chord.inMemory()) {
      CountDownLatch inListener = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      chord.subscribe(
          "a",
          r -> {
            inListener.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      Future<?> stuck = pool.submit(() -> chord.setContext("a", Map.of("n", 0)));
      assertThat(inListener.await(30, TimeUnit.SECONDS)).isTrue();
      // The first writer's thread is held inside the listener; writes go on meanwhile.
      assertThat(chord.updateContext("a", Map.of("n", 1)).context().version()).isEqualTo(2);
      assertThat(chord.setContext("b", Map.of("n", 1)).context().version()).isEqualTo(1);
      assertThat(chord.syncContext("a", 0L)).isInstanceOf(SyncResult.Patch.class);
      release.countDown();
      stuck.get(30, TimeUnit.SECONDS);
    }
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long v = from; v <= to; v++) {
      out.add(v);
    }
    return out;
  }
}
