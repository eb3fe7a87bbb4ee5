package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.spi.Snapshots;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Writes that start from a backend's stale local copy ({@code Backend.getForCommit}): the result
 * must be the same as from a current read.
 */
class ChordStaleCopyTest {
  private final HookedBackend backend = new HookedBackend();
  private final Chord chord = Chord.builder().backend(backend).build();

  @AfterEach
  void close() {
    chord.close();
  }

  @Test
  void updateContext_staleCopyOlderVersion_retriesFromCurrentAndLosesNothing() {
    Context v1 = chord.setContext("room", Map.of("a", 1, "b", 1)).context();
    chord.updateContext("room", Map.of("a", 2));
    backend.staleCopy = Optional.of(v1);

    ContextUpdate update = chord.updateContext("room", Map.of("b", 2));

    assertThat(update.context().version()).isEqualTo(3);
    assertThat(update.context().data()).isEqualTo(Map.of("a", 2L, "b", 2L));
    assertThat(update.delta())
        .isEqualTo(Delta.diff(Map.of("a", 2, "b", 1), Map.of("a", 2, "b", 2)));
  }

  @Test
  void updateContext_staleCopyAlreadyHoldsTheChange_isConfirmedBeforeReportingUnchanged() {
    Context v1 = chord.setContext("room", Map.of("a", 1)).context();
    chord.updateContext("room", Map.of("a", 2));
    backend.staleCopy = Optional.of(v1);

    ContextUpdate update = chord.updateContext("room", Map.of("a", 1));

    assertThat(update.changed()).isTrue();
    assertThat(update.context().version()).isEqualTo(3);
    assertThat(chord.getContext("room").orElseThrow().data()).isEqualTo(Map.of("a", 1L));
  }

  @Test
  void updateContext_currentCopyHoldsTheChange_reportsUnchanged() {
    Context v1 = chord.setContext("room", Map.of("a", 1)).context();
    backend.staleCopy = Optional.of(v1);

    ContextUpdate update = chord.updateContext("room", Map.of("a", 1));

    assertThat(update.changed()).isFalse();
    assertThat(update.context()).isEqualTo(v1);
  }

  @Test
  void updateContext_staleCopySaysAbsent_isConfirmedBeforeNotFound() {
    chord.setContext("room", Map.of("a", 1));
    backend.staleCopy = Optional.empty();

    ContextUpdate update = chord.updateContext("room", Map.of("a", 2));

    assertThat(update.context().version()).isEqualTo(2);
    assertThat(update.context().data()).isEqualTo(Map.of("a", 2L));
  }

  @Test
  void updateContext_staleCopyOfADeletedContext_isNotFound() {
    Context ghost = new Context("ghost", 4, Snapshots.freeze(Map.of("a", 1L)), 0, Epochs.next());
    backend.staleCopy = Optional.of(ghost);

    assertThatThrownBy(() -> chord.updateContext("ghost", Map.of("a", 2)))
        .isInstanceOf(ContextNotFoundException.class);
    assertThat(chord.getContext("ghost")).isEmpty();
  }

  @Test
  void updateContext_copyOfAnEarlierIncarnationAtTheSameVersion_isNotWrittenOn() {
    Context oldV1 = chord.setContext("room", Map.of("a", 1)).context();
    chord.deleteContext("room");
    Context newV1 = chord.setContext("room", Map.of("b", 2)).context();
    backend.staleCopy = Optional.of(oldV1);

    ContextUpdate update = chord.updateContext("room", Map.of("c", 3));

    assertThat(update.context().version()).isEqualTo(2);
    assertThat(update.context().epoch()).isEqualTo(newV1.epoch()).isNotEqualTo(oldV1.epoch());
    assertThat(update.context().data()).isEqualTo(Map.of("b", 2L, "c", 3L));
    assertThat(chord.syncContext("room", 1, newV1.epoch()))
        .isEqualTo(
            new SyncResult.Patch(
                "room",
                1,
                2,
                Delta.diff(Map.of("b", 2), Map.of("b", 2, "c", 3)),
                update.context().insertedAt(),
                newV1.epoch()));
  }

  @Test
  void updateContext_copyFromBeforeARestoreAtTheSameVersion_isNotWrittenOn() {
    chord.setContext("room", Map.of("a", 1));
    Context beforeRestore = chord.updateContext("room", Map.of("a", 2)).context();
    String restoredEpoch = Epochs.next();
    backend.restore(
        new Context("room", 2, Snapshots.freeze(Map.of("restored", true)), 0, restoredEpoch));
    backend.staleCopy = Optional.of(beforeRestore);

    ContextUpdate update = chord.updateContext("room", Map.of("c", 3));

    assertThat(update.context().data()).isEqualTo(Map.of("restored", true, "c", 3L));
    assertThat(update.context().epoch()).isEqualTo(restoredEpoch);
  }

  @Test
  void setContext_staleCopyOlderVersion_commitsOnTopOfCurrent() {
    Context v1 = chord.setContext("room", Map.of("a", 1)).context();
    chord.setContext("room", Map.of("a", 2));
    backend.staleCopy = Optional.of(v1);

    ContextUpdate update = chord.setContext("room", Map.of("a", 3));

    assertThat(update.context().version()).isEqualTo(3);
    assertThat(update.delta()).isEqualTo(Delta.diff(Map.of("a", 2), Map.of("a", 3)));
  }
}
