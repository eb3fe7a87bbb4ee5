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

/**
 * setContext and updateContext with an expected version, and epoch: optimistic concurrency for
 * clients, safe across re-creation when the client sends the epoch it read.
 */
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

  // ---- with the expected epoch ----

  /** Asserts that {@code write} conflicts naming both states, and stores nothing. */
  private void assertEpochConflict(
      Runnable write, long expectedVersion, String expectedEpoch, Context current) {
    assertThatThrownBy(write::run)
        .isInstanceOfSatisfying(
            VersionConflictException.class,
            e -> {
              assertThat(e.contextId()).isEqualTo(current.contextId());
              assertThat(e.expectedVersion()).isEqualTo(expectedVersion);
              assertThat(e.expectedEpoch()).isEqualTo(expectedEpoch);
              assertThat(e.currentVersion()).isEqualTo(current.version());
              assertThat(e.currentEpoch()).isEqualTo(current.epoch());
              assertThat(e)
                  .hasMessageContaining(expectedEpoch)
                  .hasMessageContaining(current.epoch());
            });
    assertThat(chord.getContext(current.contextId())).contains(current);
  }

  @Test
  void oldRoomsEditor_withTheOldEpochAtVersion1_cannotOverwriteTheNewRoom() {
    String oldEpoch = chord.setContext("room", Map.of("a", 1)).context().epoch();
    chord.deleteContext("room");
    Context newRoom = chord.setContext("room", Map.of("b", 2)).context();
    assertThat(newRoom.version()).isEqualTo(1);
    events.clear();

    assertEpochConflict(
        () -> chord.setContext("room", Map.of("a", 9), 1, oldEpoch), 1, oldEpoch, newRoom);
    assertEpochConflict(
        () -> chord.updateContext("room", Map.of("a", 9), 1, oldEpoch), 1, oldEpoch, newRoom);
    assertEpochConflict(
        () -> chord.setContext("room", Map.of("b", 2), 1, oldEpoch), 1, oldEpoch, newRoom);
    assertThat(events)
        .filteredOn(e -> e.operation() != ChordEvent.Operation.GET)
        .extracting(ChordEvent::outcome)
        .containsExactly(
            ChordEvent.Outcome.CONFLICT, ChordEvent.Outcome.CONFLICT, ChordEvent.Outcome.CONFLICT);
    assertThat(backend.history("room", 0, 10).orElseThrow().deltas()).hasSize(1);
  }

  @Test
  void editorOfTheStateBeforeARestoreAtTheSameVersion_conflicts() {
    try (Chord restoring =
        Chord.builder()
            .backend(backend)
            .externalProvider(id -> Optional.of(new Context(id, 2, Map.of("restored", 1), 0)))
            .build()) {
      chord.setContext("room", Map.of("a", 1));
      Context read = chord.updateContext("room", Map.of("a", 2)).context();
      Context restored = restoring.restoreContext("room");
      assertThat(restored.version()).isEqualTo(read.version());

      assertEpochConflict(
          () -> chord.updateContext("room", Map.of("a", 3), 2, read.epoch()),
          2,
          read.epoch(),
          restored);
    }
  }

  @Test
  void matchingVersionAndEpoch_commits() {
    Context v1 = chord.setContext("room", Map.of("a", 1)).context();
    ContextUpdate v2 = chord.updateContext("room", Map.of("b", 2), 1, v1.epoch());
    ContextUpdate v3 = chord.setContext("room", Map.of("c", 3), 2, v1.epoch());
    assertThat(v3.context().version()).isEqualTo(3);
    assertThat(v3.context().epoch()).isEqualTo(v2.context().epoch()).isEqualTo(v1.epoch());
    assertThat(v3.context().data()).isEqualTo(Map.of("c", 3L));
    ContextUpdate same = chord.updateContext("room", Map.of("c", 3), 3, v1.epoch());
    assertThat(same.changed()).isFalse();
    assertEpochConflict(
        () -> chord.updateContext("room", Map.of("c", 3), 3, "otherEpoch01"),
        3,
        "otherEpoch01",
        v3.context());
  }

  @Test
  void expectedVersion0_ignoresTheEpoch() {
    String anyEpoch = Epochs.next();
    ContextUpdate created = chord.setContext("room", Map.of("a", 1), 0, anyEpoch);
    assertThat(created.context().version()).isEqualTo(1);
    assertThat(created.context().epoch()).isNotEqualTo(anyEpoch);

    assertThatThrownBy(() -> chord.setContext("room", Map.of("a", 2), 0, created.context().epoch()))
        .isInstanceOfSatisfying(
            VersionConflictException.class,
            e -> {
              assertThat(e.expectedVersion()).isZero();
              assertThat(e.expectedEpoch()).isNull();
              assertThat(e.currentEpoch()).isEqualTo(created.context().epoch());
            });
    assertThatThrownBy(() -> chord.updateContext("none", Map.of("a", 1), 0, anyEpoch))
        .isInstanceOf(ContextNotFoundException.class);
  }

  @Test
  void nullEpoch_comparesTheVersionAlone() {
    chord.setContext("room", Map.of("a", 1));
    chord.deleteContext("room");
    Context newRoom = chord.setContext("room", Map.of("b", 2)).context();
    // A client that sends no epoch is trusted on the version: unsafe across re-creation.
    ContextUpdate overwritten = chord.setContext("room", Map.of("a", 9), 1, null);
    assertThat(overwritten.context().version()).isEqualTo(2);
    assertThat(overwritten.context().epoch()).isEqualTo(newRoom.epoch());
    assertThatThrownBy(() -> chord.updateContext("room", Map.of("a", 10), 1, null))
        .isInstanceOfSatisfying(
            VersionConflictException.class,
            e -> {
              assertThat(e.expectedEpoch()).isNull();
              assertThat(e.currentEpoch()).isEqualTo(newRoom.epoch());
            });
  }

  @Test
  void malformedExpectedEpoch_rejectedAndNothingStored() {
    Context v1 = chord.setContext("room", Map.of("a", 1)).context();
    for (String bad : List.of("short", "not an epoch", "")) {
      assertThatThrownBy(() -> chord.setContext("room", Map.of("a", 2), 1, bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("epoch");
      assertThatThrownBy(() -> chord.updateContext("room", Map.of("a", 2), 1, bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(chord.getContext("room")).contains(v1);
  }
}
