package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.spi.Snapshots;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeafLayoutTest {

  @Test
  void fieldsOf_storesEveryNode_andRebuildsTheSameContext() {
    Map<String, Object> data =
        Snapshots.freeze(
            Map.of(
                "topic", "launch",
                "empty", Map.of(),
                "participants", Map.of("ann", Map.of("status", "active", "tags", List.of("x"))),
                "a/b", Map.of("~", 1)));

    List<String> pairs = LeafLayout.fieldsOf(data);

    assertThat(toMap(pairs))
        .containsEntry("/topic", "\"launch\"")
        .containsEntry("/empty", "{}")
        .containsEntry("/participants", "{}")
        .containsEntry("/participants/ann", "{}")
        .containsEntry("/participants/ann/status", "\"active\"")
        .containsEntry("/participants/ann/tags", "[\"x\"]")
        .containsEntry("/a~1b/~0", "1");
    assertThat(LeafLayout.rebuild(toMap(pairs))).isEqualTo(data);
  }

  /**
   * Applying the writes of diff(S, T) to the hash of S gives the hash of T, for replaced subtrees,
   * maps turned into scalars and back, and emptied maps.
   */
  @Test
  void writes_ofADelta_turnTheHashOfOneStateIntoTheHashOfTheNext() {
    List<Map<String, Object>> states =
        List.of(
            Map.of("m", Map.of("x", 1, "y", Map.of("z", 2)), "s", 1),
            Map.of("m", Map.of("x", 2), "s", Map.of("now", "map")),
            Map.of("m", "scalar", "s", Map.of("now", "map", "more", Map.of())),
            Map.of("m", Map.of(), "s", Map.of()),
            Map.of("m", Map.of("k", List.of(Map.of("in", "list")))),
            Map.of());
    Map<String, String> hash = new HashMap<>();
    Map<String, Object> previous = Snapshots.freeze(Map.of());
    for (Map<String, Object> state : states) {
      Map<String, Object> next = Snapshots.freeze(state);
      LeafLayout.Writes writes =
          LeafLayout.of(new DeltaRecord("c", 1, Delta.diff(previous, next), 0, "epochOfC"));
      writes.deletes().forEach(hash::remove);
      hash.putAll(toMap(writes.sets()));

      assertThat(hash).isEqualTo(toMap(LeafLayout.fieldsOf(next)));
      assertThat(LeafLayout.rebuild(hash)).isEqualTo(next);
      previous = next;
    }
  }

  private static Map<String, String> toMap(List<String> pairs) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < pairs.size(); i += 2) {
      out.put(pairs.get(i), pairs.get(i + 1));
    }
    return out;
  }
}
