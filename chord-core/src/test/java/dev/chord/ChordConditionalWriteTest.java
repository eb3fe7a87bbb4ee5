package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** setContext and updateContext with an expected version: optimistic concurrency for clients. */
class ChordConditionalWriteTest {
  private final HookedBackend backend = new HookedBackend();
  private final List<ChordEvent> events = new CopyOnWriteArrayList<>();
  private final Chord chord = Chord.builder().backend(backend).listener(events::add).build();

  @AfterEach
  void close() {
    chord.close();
  }

  @Test
  void setContext_expectingAbsent_createsOnlyIfAbsent() {
    ContextUpdate created = chord.setContext("room", Map.of("a", 1), 0);
    assertThat(created.context().version()).isEqualTo(1);

    assertThatThrownBy(() -> chord.setContext("room", Map.of("a", 2), 0))
        .isInstanceOfSatisfying(
            VersionConflictException.class,
            e -> {
              assertThat(e.contextId()).isEqualTo("room");
              assertThat(e.expectedVersion()).isZero();
              assertThat(e.currentVersion()).isEqualTo(1);
            });
    assertThat(chord.getContext("room").orElseThrow()).isEqualTo(created.context());
  }

  @Test
  void updateContext_atExpectedVersion_commits() {
    chord.setContext("room", Map.of("a", 1));
    ContextUpdate update = chord.updateContext("room", Map.of("b", 2), 1);
    assertThat(update.context().version()).isEqualTo(2);
    assertThat(update.context().data()).isEqualTo(Map.of("a", 1L, "b", 2L));
  }

  @Test
  void updateContext_atOtherVersion_conflictsAndStoresNothing() {
    chord.setContext("room", Map.of("a", 1));
    Context v2 = chord.updateContext("room", Map.of("a", 2)).context();

    assertThatThrownBy(() -> chord.updateContext("room", Map.of("a", 3), 1))
        .isInstanceOfSatisfying(
            VersionConflictException.class, e -> assertThat(e.currentVersion()).isEqualTo(2));
    assertThat(chord.getContext("room").orElseThrow()).isEqualTo(v2);
    assertThat(chord.syncContext("room", 1L)).isInstanceOf(SyncResult.Patch.class);
    assertThat(chord.syncContext("room", 2L)).isEqualTo(new SyncResult.NoChange(2, v2.epoch()));
  }

  @Test
  void noOpWrite_matchingVersionIsUnchanged_otherVersionConflicts() {
    Context v1 = chord.setContext("room", Map.of("a", 1)).context();

    ContextUpdate same = chord.updateContext("room", Map.of("a", 1), 1);
    assertThat(same.changed()).isFalse();
    assertThat(same.context()).isEqualTo(v1);

    chord.updateContext("room", Map.of("a", 2));
    assertThatThrownBy(() -> chord.setContext("room", Map.of("a", 2), 1))
        .isInstanceOf(VersionConflictException.class);
  }

  @Test
  void updateContext_absent_notFoundWhenExpectingAbsent_conflictOtherwise() {
    assertThatThrownBy(() -> chord.updateContext("none", Map.of("a", 1), 0))
        .isInstanceOf(ContextNotFoundException.class);
    assertThatThrownBy(() -> chord.updateContext("none", Map.of("a", 1), 3))
        .isInstanceOfSatisfying(
            VersionConflictException.class, e -> assertThat(e.currentVersion()).isZero());
    assertThat(chord.getContext("none")).isEmpty();
  }

  @Test
  void staleCopy_isConfirmedBeforeAConflictIsReported() {
    Context v1 = chord.setContext("room", Map.of("a", 1)).context();
    chord.updateContext("room", Map.of("a", 2));
    backend.staleCopy = Optional.of(v1);

    ContextUpdate update = chord.updateContext("room", Map.of("a", 3), 2);

    assertThat(update.context().version()).isEqualTo(3);
    assertThat(update.context().data()).isEqualTo(Map.of("a", 3L));
  }

  @Test
  void negativeExpectedVersion_isRejected() {
    assertThatThrownBy(() -> chord.setContext("room", Map.of(), -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThat(chord.getContext("room")).isEmpty();
  }

  @Test
  void conflict_isReportedAsConflictEvent() {
    chord.setContext("room", Map.of("a", 1));
    events.clear();
    assertThatThrownBy(() -> chord.updateContext("room", Map.of("a", 2), 7))
        .isInstanceOf(VersionConflictException.class);
    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.operation()).isEqualTo(ChordEvent.Operation.UPDATE);
              assertThat(e.outcome()).isEqualTo(ChordEvent.Outcome.CONFLICT);
              assertThat(e.error()).isInstanceOf(VersionConflictException.class);
            });
  }

  @Test
  void readModifyWriteLoops_onManyThreads_loseNoIncrement() throws Exception {
    chord.setContext("counter", Map.of("n", 0));
    int threads = 8;
    int increments = 200;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> conflicts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        conflicts.add(
            pool.submit(
                () -> {
                  int seen = 0;
                  for (int i = 0; i < increments; i++) {
                    while (true) {
                      Context read = chord.getContext("counter").orElseThrow();
                      long n = (Long) read.data().get("n");
                      try {
                        chord.updateContext("counter", Map.of("n", n + 1), read.version());
                        break;
                      } catch (VersionConflictException e) {
                        seen++;
                      }
                    }
                  }
                  return seen;
                }));
      }
      for (Future<Integer> f : conflicts) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    Context last = chord.getContext("counter").orElseThrow();
    assertThat(last.data().get("n")).isEqualTo((long) threads * increments);
    assertThat(last.version()).isEqualTo(1 + threads * increments);
  }
}
