package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import dev.chord.spi.Snapshots;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Freezing: any JSON-like input shape gives the normalized tree, unmodifiable throughout
 * (QuickTheories: a failure prints the smallest falsifying tree and the seed for {@code
 * -DQT_SEED=...}).
 */
class SnapshotsPropertiesTest {

  @Test
  void freeze_otherCollectionAndNumberTypes_givesNormalizedTree() {
    qt().withExamples(200)
        .forAll(JsonTrees.trees())
        .checkAssert(
            tree -> {
              Map<String, Object> frozen = Snapshots.freeze(varied(tree, 0));
              assertThat(frozen).isEqualTo(tree);
              Unmodifiable.assertDeeplyUnmodifiable(frozen);
              // Freezing a frozen tree gives an equal tree again.
              assertThat(Snapshots.freeze(frozen)).isEqualTo(tree);
            });
  }

  @Test
  void setContext_variedInput_storedNormalizedAndReadBackEqual() {
    qt().withExamples(100)
        .forAll(JsonTrees.trees())
        .checkAssert(
            tree -> {
              try (Chord chord = Chord.inMemory()) {
                ContextUpdate created = chord.setContext("c", varied(tree, 0));
                assertThat(created.context().data()).isEqualTo(tree);
                assertThat(chord.updateContext("c", varied(tree, 1)).changed()).isFalse();
                assertThat(chord.setContext("c", tree).changed()).isFalse();
              }
            });
  }

  /** The same tree in other types: small longs as Integer/Short, other maps and lists. */
  @SuppressWarnings("unchecked")
  private static Object variedValue(Object value, int salt) {
    if (value instanceof Map<?, ?> map) {
      return varied((Map<String, Object>) map, salt + 1);
    }
    if (value instanceof List<?> list) {
      Object[] items = list.stream().map(v -> variedValue(v, salt + 1)).toArray();
      return salt % 2 == 0 ? new LinkedList<>(Arrays.asList(items)) : Arrays.asList(items);
    }
    if (value instanceof Long l && l == l.shortValue()) {
      return salt % 2 == 0 ? (Object) l.intValue() : (Object) l.shortValue();
    }
    return value;
  }

  private static Map<String, Object> varied(Map<String, Object> map, int salt) {
    Map<String, Object> out = salt % 2 == 0 ? new TreeMap<>() : new LinkedHashMap<>();
    map.forEach((k, v) -> out.put(k, variedValue(v, salt)));
    return out;
  }
}
