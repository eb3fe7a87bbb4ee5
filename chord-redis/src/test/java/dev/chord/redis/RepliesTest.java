package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.BackendException;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.spi.Snapshots;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The script's replies as Lettuce hands them over (strings, longs, nested lists), typed. */
class RepliesTest {
  private static final String EPOCH = "epochOfTheRoom";

  @Test
  void head_readsEachKind() {
    assertThat(Replies.head("c", List.of())).isEmpty();
    assertThat(Replies.head("c", List.of("same", "3", "30", EPOCH)))
        .contains(new Replies.Same(3, 30, EPOCH));
    assertThat(Replies.head("c", List.of("full", "3", "30", EPOCH)))
        .contains(new Replies.Stale(3, 30, EPOCH));
    assertThat(Replies.head("c", List.of("full", "3", "30", EPOCH, "[\"/a\",\"1\"]")))
        .contains(new Replies.Full(3, 30, EPOCH, Map.of("/a", "1")));

    DeltaRecord record =
        new DeltaRecord(
            "c",
            3,
            Delta.diff(Snapshots.freeze(Map.of()), Snapshots.freeze(Map.of("a", 1))),
            30,
            EPOCH);
    List<Object> entry = List.of("3-0", List.of("at", "30", "d", LeafLayout.of(record).message()));
    assertThat(Replies.head("c", List.of("deltas", "3", "30", EPOCH, List.of(entry))))
        .contains(new Replies.Deltas(3, 30, EPOCH, List.of(record)));
  }

  @Test
  void commit_readsOkAndBothConflicts() {
    assertThat(Replies.commit("c", List.of("ok"))).isEqualTo(new Replies.Committed());
    assertThat(Replies.commit("c", List.of("conflict")))
        .isEqualTo(new Replies.Conflict(Optional.empty()));
    assertThat(Replies.commit("c", List.of("conflict", List.of("same", "4", "40", EPOCH))))
        .isEqualTo(new Replies.Conflict(Optional.of(new Replies.Same(4, 40, EPOCH))));
  }

  @Test
  void historyAndCounts() {
    assertThat(Replies.history("c", List.of())).isEmpty();
    assertThat(Replies.history("c", List.of("5", "50", EPOCH, List.of())))
        .contains(new Replies.History(5, 50, EPOCH, List.of()));
    assertThat(Replies.deleted(List.of(1L))).isTrue();
    assertThat(Replies.deleted(List.of(0L))).isFalse();
    assertThat(Replies.count(List.of(12L))).isEqualTo(12);
  }

  @Test
  void otherShapes_failWithBackendException() {
    List<List<Object>> heads =
        List.of(
            List.of("same", "3", "30"),
            List.of("same", "3", "30", EPOCH, "extra"),
            List.of("deltas", "3", "30", EPOCH),
            List.of("full", "x", "30", EPOCH),
            List.of("other", "3", "30", EPOCH),
            List.of(1L, "3", "30", EPOCH));
    for (List<Object> reply : heads) {
      assertThatThrownBy(() -> Replies.head("c", reply))
          .as("%s", reply)
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("unexpected reply");
    }
    assertThatThrownBy(() -> Replies.commit("c", List.of())).isInstanceOf(BackendException.class);
    assertThatThrownBy(() -> Replies.commit("c", List.of("conflict", "same")))
        .isInstanceOf(BackendException.class);
    assertThatThrownBy(() -> Replies.history("c", List.of("5", "50", EPOCH)))
        .isInstanceOf(BackendException.class);
    assertThatThrownBy(() -> Replies.count(List.of())).isInstanceOf(BackendException.class);
  }
}
