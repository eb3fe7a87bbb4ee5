package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.memory.InMemoryBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The rules of syncContext: NoChange, Patch or Full, and never a Patch that misses a change. */
class ChordSyncTest {
  private static final int THRESHOLD = 4;
  private final MutableClock clock = MutableClock.start();
  private final InMemoryBackend backend = InMemoryBackend.create();
  private final AtomicReference<Context> providerAnswer = new AtomicReference<>();
  private final Chord chord =
      Chord.builder()
          .backend(backend)
          .clock(clock)
          .deltaThreshold(THRESHOLD)
          .deltaTtl(Duration.ofMinutes(10))
          .externalProvider(id -> Optional.ofNullable(providerAnswer.get()))
          .build();

  @AfterEach
  void close() {
    chord.close();
  }

  /** Creates "room" and updates it to {@code version}, one minute apart; returns every state. */
  private List<Map<String, Object>> history(int version) {
    List<Map<String, Object>> states = new ArrayList<>();
    states.add(Map.of());
    for (int v = 1; v <= version; v++) {
      clock.advance(Duration.ofMinutes(1));
      Map<String, Object> data =
          chord.setContext("room", Map.of("n", v, "p", Map.of("v" + v, v))).context().data();
      states.add(data);
    }
    return states;
  }

  private Context current() {
    return chord.getContext("room").orElseThrow();
  }

  @Test
  void syncContext_nullVersion_full() {
    history(2);
    assertThat(chord.syncContext("room", null)).isEqualTo(new SyncResult.Full(current()));
  }

  @Test
  void syncContext_currentVersion_noChange() {
    history(3);
    assertThat(chord.syncContext("room", 3L))
        .isEqualTo(new SyncResult.NoChange(3, current().epoch()));
  }

  @Test
  void syncContext_clientAhead_full() {
    history(2);
    SyncResult sync = chord.syncContext("room", 7L);
    assertThat(sync).isEqualTo(new SyncResult.Full(current()));
    assertThat(sync.version()).isEqualTo(2);
    assertThat(chord.syncContext("room", Long.MAX_VALUE)).isEqualTo(new SyncResult.Full(current()));
  }

  @Test
  void syncContext_fromVersion0_patchWithCreationDelta() {
    List<Map<String, Object>> states = history(1);
    SyncResult.Patch patch = (SyncResult.Patch) chord.syncContext("room", 0L);
    assertThat(patch)
        .isEqualTo(
            new SyncResult.Patch(
                "room",
                0,
                1,
                Delta.diff(Map.of(), states.get(1)),
                current().insertedAt(),
                current().epoch()));
  }

  @Test
  void syncContext_behindWithinThreshold_patchMergingEveryChange() {
    List<Map<String, Object>> states = history(THRESHOLD + 2);
    long current = THRESHOLD + 2;
    for (long v = current - THRESHOLD; v < current; v++) {
      SyncResult.Patch patch = (SyncResult.Patch) chord.syncContext("room", v);
      assertThat(patch.fromVersion()).isEqualTo(v);
      assertThat(patch.version()).isEqualTo(current);
      assertThat(patch.delta()).isEqualTo(Delta.diff(states.get((int) v), current().data()));
      assertThat(patch.delta().applyTo(states.get((int) v))).isEqualTo(current().data());
    }
  }

  @Test
  void syncContext_behindMoreThanThreshold_full() {
    history(THRESHOLD + 2);
    assertThat(chord.syncContext("room", 1L)).isEqualTo(new SyncResult.Full(current()));
    assertThat(chord.syncContext("room", 0L)).isEqualTo(new SyncResult.Full(current()));
    assertThat(chord.syncContext("room", 2L)).isInstanceOf(SyncResult.Patch.class);
  }

  @Test
  void syncContext_patch_insertedAtOfCurrentVersion() {
    history(2);
    clock.advance(Duration.ofHours(1));
    chord.updateContext("room", Map.of("late", true));
    long now = clock.instant().getEpochSecond();
    SyncResult.Patch patch = (SyncResult.Patch) chord.syncContext("room", 1L);
    assertThat(patch.insertedAt()).isEqualTo(now).isEqualTo(current().insertedAt());
  }

  @Test
  void syncContext_absent_notFound() {
    assertThatThrownBy(() -> chord.syncContext("ghost", 0L))
        .isInstanceOf(ContextNotFoundException.class)
        .hasMessageContaining("ghost");
    assertThatThrownBy(() -> chord.syncContext("ghost", null))
        .isInstanceOf(ContextNotFoundException.class);
  }

  @Test
  void deltaThreshold_manyWrites_neverMoreDeltasStored() {
    for (int v = 1; v <= 3 * THRESHOLD; v++) {
      chord.setContext("room", Map.of("n", v));
      assertThat(backend.history("room", 0, Integer.MAX_VALUE).orElseThrow().deltas())
          .hasSize(Math.min(v, THRESHOLD));
    }
    assertThat(chord.deltaThreshold()).isEqualTo(THRESHOLD);
  }

  @Test
  void syncContext_gapAfterTtlCleanup_fullUntilDeltasSuffice() {
    List<Map<String, Object>> states = history(4); // deltas at minutes 1, 2, 3, 4
    clock.advance(
        Duration.ofMinutes(9)); // minute 13: the deltas of minutes 1 and 2 are older than 10 min
    assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 2));
    assertThat(chord.syncContext("room", 0L)).isEqualTo(new SyncResult.Full(current()));
    assertThat(chord.syncContext("room", 1L)).isEqualTo(new SyncResult.Full(current()));
    SyncResult.Patch patch = (SyncResult.Patch) chord.syncContext("room", 2L);
    assertThat(patch.delta().applyTo(states.get(2))).isEqualTo(current().data());
    assertThat(chord.syncContext("room", 4L))
        .isEqualTo(new SyncResult.NoChange(4, current().epoch()));
  }

  @Test
  void syncContext_afterRestore_fullForEveryOlderVersionThenPatchesAgain() {
    history(3);
    providerAnswer.set(new Context("room", 10, Map.of("restored", 1), 0));
    clock.advance(Duration.ofMinutes(1));
    Context restored = chord.restoreContext("room");
    for (long v = 0; v < 10; v++) {
      assertThat(chord.syncContext("room", v)).isEqualTo(new SyncResult.Full(restored));
    }
    assertThat(chord.syncContext("room", 10L))
        .isEqualTo(new SyncResult.NoChange(10, restored.epoch()));
    ContextUpdate next = chord.updateContext("room", Map.of("after", 2));
    assertThat(next.context().version()).isEqualTo(11);
    SyncResult.Patch patch = (SyncResult.Patch) chord.syncContext("room", 10L);
    assertThat(patch.delta().applyTo(restored.data())).isEqualTo(next.context().data());
    assertThat(chord.syncContext("room", 9L)).isEqualTo(new SyncResult.Full(next.context()));
  }

  @Test
  void syncContext_afterDeleteAndRecreate_clientOfOldIncarnationAheadGetsFull() {
    history(3);
    chord.deleteContext("room");
    Context fresh = chord.setContext("room", Map.of("new", true)).context();
    assertThat(chord.syncContext("room", 3L)).isEqualTo(new SyncResult.Full(fresh));
    assertThat(chord.syncContext("room", 2L)).isEqualTo(new SyncResult.Full(fresh));
    assertThat(chord.syncContext("room", 0L)).isInstanceOf(SyncResult.Patch.class);
  }
}
