package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.chord.memory.InMemoryBackend;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Random sequences that also lose history: time passing with TTL cleanup (deltas and, with
 * auto-delete, whole contexts) and restores from a provider. A model tracks which deltas must still
 * be stored; sync must answer Patch exactly when they are, and Full otherwise (QuickTheories: a
 * failure prints the smallest falsifying sequence and the seed for {@code -DQT_SEED=...}).
 */
class ChordLifecyclePropertiesTest {
  private static final String ID = "doc";
  private static final int THRESHOLD = 6;
  private static final Duration DELTA_TTL = Duration.ofMinutes(20);
  private static final Duration CONTEXT_TTL = Duration.ofMinutes(45);

  sealed interface Op permits Update, Replace, Wait, Restore {}

  record Update(Map<String, Object> changes) implements Op {}

  record Replace(Map<String, Object> data) implements Op {}

  /** Let {@code minutes} pass, then run a cleanup pass. */
  record Wait(int minutes) implements Op {}

  /** Restore the provider's context at {@code version}. */
  record Restore(int version, Map<String, Object> data) implements Op {}

  private static Gen<List<Op>> ops() {
    Gen<Op> op =
        Generate.frequency(
            List.of(
                Pair.of(8, JsonTrees.maps(2).map(m -> (Op) new Update(m))),
                Pair.of(2, JsonTrees.maps(1).map(m -> (Op) new Replace(m))),
                Pair.of(3, integers().between(0, 50).map(m -> (Op) new Wait(m))),
                Pair.of(
                    1,
                    integers()
                        .between(1, 30)
                        .zip(JsonTrees.maps(1), (v, d) -> (Op) new Restore(v, d)))));
    return lists().of(op).ofSizeBetween(1, 40);
  }

  @Test
  void syncIsPatchExactlyWhenEveryNeededDeltaIsStored() {
    qt().withExamples(150)
        .forAll(ops())
        .checkAssert(ChordLifecyclePropertiesTest::patchExactlyWhenStored);
  }

  private static void patchExactlyWhenStored(List<Op> ops) {
    MutableClock clock = MutableClock.start();
    AtomicReference<Context> provided = new AtomicReference<>();
    try (Chord chord =
        Chord.builder()
            .backend(InMemoryBackend.create())
            .clock(clock)
            .deltaThreshold(THRESHOLD)
            .deltaTtl(DELTA_TTL)
            .contextTtl(CONTEXT_TTL)
            .contextAutoDelete(true)
            .externalProvider(id -> Optional.ofNullable(provided.get()))
            .build()) {
      Model model = new Model();
      List<DeltaRecord> delivered = new ArrayList<>();
      chord.subscribe(ID, delivered::add);
      for (Op op : ops) {
        long now = clock.instant().getEpochSecond();
        if (op instanceof Update update) {
          if (!model.exists()) {
            assertThatThrownBy(() -> chord.updateContext(ID, update.changes()))
                .isInstanceOf(ContextNotFoundException.class);
          } else {
            ContextUpdate result = chord.updateContext(ID, update.changes());
            model.write(
                JsonTrees.deepMerge(model.current(), update.changes()),
                now,
                false,
                result.context().epoch());
            assertThat(result.changed()).isEqualTo(model.lastWriteChanged);
          }
        } else if (op instanceof Replace set) {
          ContextUpdate result = chord.setContext(ID, set.data());
          model.write(JsonTrees.copy(set.data()), now, !model.exists(), result.context().epoch());
        } else if (op instanceof Wait wait) {
          clock.advance(Duration.ofMinutes(wait.minutes()));
          CleanupReport report = chord.cleanup();
          assertThat(report).isEqualTo(model.cleanup(clock.instant().getEpochSecond()));
        } else if (op instanceof Restore restore) {
          provided.set(new Context(ID, restore.version(), restore.data(), 0));
          Context restored = chord.restoreContext(ID);
          model.restore(restore.version(), JsonTrees.copy(restore.data()), now, restored.epoch());
          assertThat(restored.version()).isEqualTo(restore.version());
        }
        model.check(chord);
        // One thread writes, so every record is delivered before the write returns.
        assertThat(delivered).isEqualTo(model.committed);
      }
    }
  }

  /** What the context must look like, and which deltas must still be stored. */
  private static final class Model {
    /** Client-visible states of the current incarnation, by version; empty: no context. */
    private final Map<Long, Map<String, Object>> states = new HashMap<>();

    /** Versions and insertedAt of the deltas that must be stored, oldest first. */
    private final Deque<long[]> stored = new ArrayDeque<>();

    /** Every record committed since the subscription began, in order. */
    final List<DeltaRecord> committed = new ArrayList<>();

    /** Epochs of incarnations that ended (deleted by cleanup or replaced by a restore). */
    private final List<String> retiredEpochs = new ArrayList<>();

    private long version;
    private long insertedAt;
    private String epoch;
    boolean lastWriteChanged;

    boolean exists() {
      return version > 0;
    }

    Map<String, Object> current() {
      return states.get(version);
    }

    void write(Map<String, Object> next, long now, boolean creates, String writtenEpoch) {
      if (creates) {
        states.clear();
        states.put(0L, Map.of());
        assertThat(writtenEpoch).isNotIn(retiredEpochs);
        epoch = writtenEpoch;
      } else {
        assertThat(writtenEpoch).as("an update keeps the epoch").isEqualTo(epoch);
      }
      lastWriteChanged = creates || !next.equals(current());
      if (!lastWriteChanged) {
        return;
      }
      Map<String, Object> previous = states.get(version);
      version++;
      insertedAt = now;
      states.put(version, next);
      committed.add(new DeltaRecord(ID, version, Delta.diff(previous, next), now, epoch));
      stored.addLast(new long[] {version, now});
      while (stored.size() > THRESHOLD) {
        stored.removeFirst();
      }
    }

    CleanupReport cleanup(long now) {
      if (!exists()) {
        return new CleanupReport(0, 0);
      }
      if (insertedAt < now - CONTEXT_TTL.getSeconds()) {
        states.clear();
        stored.clear();
        version = 0;
        retiredEpochs.add(epoch);
        epoch = null;
        return new CleanupReport(1, 0);
      }
      long dropped = 0;
      while (!stored.isEmpty() && stored.peekFirst()[1] < now - DELTA_TTL.getSeconds()) {
        stored.removeFirst();
        dropped++;
      }
      return new CleanupReport(0, dropped);
    }

    void restore(long restoredVersion, Map<String, Object> data, long now, String restoredEpoch) {
      // Versions may be reused below or above the old ones: a new incarnation, a new epoch.
      if (epoch != null) {
        retiredEpochs.add(epoch);
      }
      assertThat(restoredEpoch).isNotIn(retiredEpochs);
      epoch = restoredEpoch;
      states.clear();
      stored.clear();
      version = restoredVersion;
      insertedAt = now;
      states.put(version, data);
    }

    void check(Chord chord) {
      if (!exists()) {
        assertThat(chord.getContext(ID)).isEmpty();
        return;
      }
      Context context = chord.getContext(ID).orElseThrow();
      assertThat(context.version()).isEqualTo(version);
      assertThat(context.insertedAt()).isEqualTo(insertedAt);
      assertThat(context.data()).isEqualTo(current());
      assertThat(context.epoch()).isEqualTo(epoch);
      for (String retired : retiredEpochs) {
        assertThat(chord.syncContext(ID, version, retired))
            .as("a client of an ended incarnation at the same version")
            .isEqualTo(new SyncResult.Full(context));
      }
      long oldestPatchable = stored.isEmpty() ? version : stored.peekFirst()[0] - 1;
      for (long v = 0; v <= version + 1; v++) {
        SyncResult sync = chord.syncContext(ID, v, epoch);
        assertThat(sync.epoch()).isEqualTo(epoch);
        if (v == version) {
          assertThat(sync).isEqualTo(new SyncResult.NoChange(version, epoch));
        } else if (v > version || v < oldestPatchable || version - v > THRESHOLD) {
          assertThat(sync)
              .as("sync from %d at %d", v, version)
              .isEqualTo(new SyncResult.Full(context));
        } else {
          assertThat(sync)
              .as("sync from %d at %d", v, version)
              .isInstanceOf(SyncResult.Patch.class);
          Map<String, Object> clientState = states.get(v);
          assertThat(clientState).as("model state %d", v).isNotNull();
          assertThat(((SyncResult.Patch) sync).delta().applyTo(clientState))
              .isEqualTo(context.data());
        }
      }
    }
  }
}
