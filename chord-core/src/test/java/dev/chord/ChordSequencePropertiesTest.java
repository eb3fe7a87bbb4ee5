package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.History;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Random sequences of set/update/delete on one context, checked after every step against a model:
 * the data, the version rules, and sync from every version a client could hold (QuickTheories: a
 * failure prints the smallest falsifying sequence and the seed for {@code -DQT_SEED=...}).
 */
class ChordSequencePropertiesTest {
  private static final String ID = "room";
  private static final int THRESHOLD = 5;

  sealed interface Op permits SetOp, UpdateOp, DeleteOp {}

  record SetOp(Map<String, Object> data) implements Op {}

  record UpdateOp(Map<String, Object> changes) implements Op {}

  record DeleteOp() implements Op {}

  private static Gen<List<Op>> ops() {
    Gen<Op> op =
        Generate.frequency(
            List.of(
                Pair.of(3, JsonTrees.maps(2).map(m -> (Op) new SetOp(m))),
                Pair.of(8, JsonTrees.maps(2).map(m -> (Op) new UpdateOp(m))),
                Pair.of(1, Generate.constant((Op) new DeleteOp()))));
    return lists().of(op).ofSizeBetween(1, 30);
  }

  @Test
  void everyStep_matchesModel_andSyncFromEveryVersionIsCorrect() {
    qt().withExamples(250).forAll(ops()).checkAssert(ChordSequencePropertiesTest::matchesModel);
  }

  private static void matchesModel(List<Op> ops) {
    InMemoryBackend backend = InMemoryBackend.create();
    MutableClock clock = MutableClock.start();
    try (Chord chord =
        Chord.builder().backend(backend).deltaThreshold(THRESHOLD).clock(clock).build()) {
      // states.get(v) is the state at version v of the current incarnation; state 0 is "nothing".
      List<Map<String, Object>> states = null;
      long insertedAt = -1;
      for (Op op : ops) {
        clock.advance(Duration.ofSeconds(1));
        long versionBefore = states == null ? 0 : states.size() - 1;
        if (op instanceof SetOp set) {
          ContextUpdate update = chord.setContext(ID, set.data());
          boolean creates = states == null;
          if (creates) {
            states = new ArrayList<>(List.of(Map.of()));
          }
          boolean changes = creates || !states.get(states.size() - 1).equals(set.data());
          if (changes) {
            states.add(JsonTrees.copy(set.data()));
            insertedAt = clock.instant().getEpochSecond();
          }
          checkUpdate(update, changes, states, insertedAt);
        } else if (op instanceof UpdateOp upd) {
          if (states == null) {
            assertThatThrownBy(() -> chord.updateContext(ID, upd.changes()))
                .isInstanceOf(ContextNotFoundException.class);
            assertThat(chord.getContext(ID)).isEmpty();
            continue;
          }
          ContextUpdate update = chord.updateContext(ID, upd.changes());
          Map<String, Object> previous = states.get(states.size() - 1);
          Map<String, Object> merged = JsonTrees.deepMerge(previous, upd.changes());
          boolean changes = !merged.equals(previous);
          if (changes) {
            states.add(merged);
            insertedAt = clock.instant().getEpochSecond();
          }
          checkUpdate(update, changes, states, insertedAt);
          assertThat(update.delta()).isEqualTo(Delta.diff(previous, merged));
        } else {
          chord.deleteContext(ID);
          states = null;
        }
        if (states == null) {
          assertThat(chord.getContext(ID)).isEmpty();
          assertThatThrownBy(() -> chord.syncContext(ID, 0L))
              .isInstanceOf(ContextNotFoundException.class);
          continue;
        }
        long current = states.size() - 1;
        assertThat(current - versionBefore).isBetween(0L, 1L);
        Context context = chord.getContext(ID).orElseThrow();
        assertThat(context.version()).isEqualTo(current);
        assertThat(context.data()).isEqualTo(states.get((int) current));
        assertThat(context.insertedAt()).isEqualTo(insertedAt);
        checkStoredHistory(backend, current);
        checkSyncFromEveryVersion(chord, states, context);
      }
    }
  }

  private static void checkUpdate(
      ContextUpdate update, boolean changes, List<Map<String, Object>> states, long insertedAt) {
    assertThat(update.changed()).isEqualTo(changes);
    assertThat(update.context().version()).isEqualTo(states.size() - 1);
    assertThat(update.context().data()).isEqualTo(states.get(states.size() - 1));
    assertThat(update.context().insertedAt()).isEqualTo(insertedAt);
    if (changes) {
      assertThat(update.delta())
          .isEqualTo(Delta.diff(states.get(states.size() - 2), states.get(states.size() - 1)));
    } else {
      assertThat(update.delta().isEmpty()).isTrue();
      assertThat(update.deltaRecord()).isNull();
    }
  }

  /** The backend keeps exactly the newest min(version, threshold) deltas, contiguous. */
  private static void checkStoredHistory(InMemoryBackend backend, long current) {
    History history = backend.history(ID, 0, Integer.MAX_VALUE).orElseThrow();
    List<Long> versions = history.deltas().stream().map(DeltaRecord::version).toList();
    long kept = Math.min(current, THRESHOLD);
    List<Long> expected = new ArrayList<>();
    for (long v = current - kept + 1; v <= current; v++) {
      expected.add(v);
    }
    assertThat(versions).isEqualTo(expected);
  }

  private static void checkSyncFromEveryVersion(
      Chord chord, List<Map<String, Object>> states, Context context) {
    long current = context.version();
    assertThat(chord.syncContext(ID, null)).isEqualTo(new SyncResult.Full(context));
    for (long v = 0; v <= current + 2; v++) {
      SyncResult sync = chord.syncContext(ID, v);
      assertThat(sync.version()).isEqualTo(current);
      assertThat(sync.epoch()).isEqualTo(context.epoch());
      assertThat(chord.syncContext(ID, v, context.epoch())).isEqualTo(sync);
      if (v == current) {
        assertThat(sync).isEqualTo(new SyncResult.NoChange(current, context.epoch()));
      } else if (v > current || current - v > THRESHOLD) {
        // The only reasons for Full here: no deltas go missing without cleanup or restore.
        assertThat(sync)
            .as("sync from %d at %d", v, current)
            .isEqualTo(new SyncResult.Full(context));
      } else {
        assertThat(sync).as("sync from %d at %d", v, current).isInstanceOf(SyncResult.Patch.class);
        SyncResult.Patch patch = (SyncResult.Patch) sync;
        assertThat(patch.contextId()).isEqualTo(ID);
        assertThat(patch.fromVersion()).isEqualTo(v);
        assertThat(patch.insertedAt()).isEqualTo(context.insertedAt());
        Map<String, Object> clientState = states.get((int) v);
        assertThat(patch.delta().applyTo(clientState)).isEqualTo(context.data());
        assertThat(patch.delta()).isEqualTo(Delta.diff(clientState, context.data()));
      }
    }
  }
}
