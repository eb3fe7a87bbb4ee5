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

/**
 * The rules of syncContext: NoChange, Patch or Full, never a Patch that misses a change, and with
 * the client's epoch never a Patch or NoChange across incarnations.
 */
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
          .exporter(providerAnswer::set)
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

  // ---- with the client's epoch ----

  @Test
  void syncContextWithEpoch_otherEpoch_fullWhateverTheVersion() {
    history(3);
    Context current = current();
    String other = Epochs.next();
    for (long v = 0; v <= 5; v++) {
      assertThat(chord.syncContext("room", v, other)).isEqualTo(new SyncResult.Full(current));
    }
  }

  @Test
  void syncContextWithEpoch_sameEpoch_noChangeOrPatchCarryingTheEpoch() {
    List<Map<String, Object>> states = history(3);
    String epoch = current().epoch();
    assertThat(chord.syncContext("room", 3, epoch)).isEqualTo(new SyncResult.NoChange(3, epoch));
    SyncResult.Patch patch = (SyncResult.Patch) chord.syncContext("room", 1, epoch);
    assertThat(patch.epoch()).isEqualTo(epoch);
    assertThat(patch.fromVersion()).isEqualTo(1);
    assertThat(patch.version()).isEqualTo(3);
    assertThat(patch.delta().applyTo(states.get(1))).isEqualTo(current().data());
    SyncResult ahead = chord.syncContext("room", 4, epoch);
    assertThat(ahead).isEqualTo(new SyncResult.Full(current()));
    assertThat(ahead.epoch()).isEqualTo(epoch);
  }

  @Test
  void syncContextWithEpoch_null_answersAsTheVersionAlone() {
    history(THRESHOLD + 2);
    for (long v = 0; v <= THRESHOLD + 3; v++) {
      assertThat(chord.syncContext("room", v, null)).isEqualTo(chord.syncContext("room", v));
    }
  }

  @Test
  void syncContextWithEpoch_malformed_rejectedBeforeAnyRead() {
    history(1);
    for (String bad : List.of("short", "has spaces in", "0123456789abcdefghijklm", "")) {
      assertThatThrownBy(() -> chord.syncContext("room", 1, bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("epoch");
      assertThatThrownBy(() -> chord.syncContext("ghost", 1, bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> chord.syncContext("room", -1, current().epoch()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void syncContextWithEpoch_absent_notFound() {
    assertThatThrownBy(() -> chord.syncContext("ghost", 1, Epochs.next()))
        .isInstanceOf(ContextNotFoundException.class);
  }

  /** The scenario (a): delete and create again, the client holds the old version 1. */
  @Test
  void syncContextWithEpoch_afterDeleteAndRecreateAtTheSameVersion_full() {
    chord.setContext("room", Map.of("a", 1));
    SyncResult held = chord.syncContext("room", (Long) null);
    assertThat(held.version()).isEqualTo(1);
    chord.deleteContext("room");
    Context recreated = chord.setContext("room", Map.of("b", 2)).context();
    assertThat(recreated.version()).isEqualTo(1);

    SyncResult sync = chord.syncContext("room", 1, held.epoch());

    assertThat(sync).isEqualTo(new SyncResult.Full(recreated));
    assertThat(((SyncResult.Full) sync).context().data()).isEqualTo(Map.of("b", 2L));
    assertThat(sync.epoch()).isNotEqualTo(held.epoch());
    // Without the epoch the same client is told it is current: the reason epochs exist.
    assertThat(chord.syncContext("room", 1L)).isInstanceOf(SyncResult.NoChange.class);
  }

  /**
   * The scenario (b): exported at version 1, updated to 2 (the client syncs there),
   * restored to version 1 and updated to 2 again with other data.
   */
  @Test
  void syncContextWithEpoch_afterRestoreAndUpdateToTheClientsVersion_full() {
    chord.setContext("room", Map.of("a", 1));
    chord.exportContext("room");
    chord.updateContext("room", Map.of("a", 2));
    SyncResult client = chord.syncContext("room", 1, current().epoch());
    assertThat(client.version()).isEqualTo(2);
    String epochBefore = client.epoch();
    Context restored = chord.restoreContext("room");
    assertThat(restored.version()).isEqualTo(1);
    Context now = chord.updateContext("room", Map.of("other", true)).context();
    assertThat(now.version()).isEqualTo(2);

    SyncResult sync = chord.syncContext("room", 2, epochBefore);

    assertThat(sync).isEqualTo(new SyncResult.Full(now));
    assertThat(sync.epoch()).isEqualTo(restored.epoch()).isNotEqualTo(epochBefore);
    assertThat(((SyncResult.Full) sync).context().data()).isEqualTo(Map.of("a", 1L, "other", true));
    assertThat(chord.syncContext("room", 2L)).isInstanceOf(SyncResult.NoChange.class);
  }
}
