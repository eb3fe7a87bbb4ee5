package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import dev.chord.internal.Freezer;
import dev.chord.spi.Snapshots;
import java.util.Arrays;
import java.util.HashMap;
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

  @Test
  void freezeAgainstPrevious_equalsPlainFreeze_andSharesWhatIsUnchanged() {
    qt().withExamples(300)
        .forAll(JsonTrees.trees(), JsonTrees.chains(1, 4))
        .checkAssert(
            (start, edits) -> {
              List<Map<String, Object>> states = JsonTrees.chain(start, edits);
              Map<String, Object> previous = Snapshots.freeze(states.get(0));
              Map<String, Object> next = states.get(states.size() - 1);
              Map<String, Object> frozen = Freezer.freeze(varied(next, 1), previous);
              assertThat(frozen).isEqualTo(Snapshots.freeze(next));
              Unmodifiable.assertDeeplyUnmodifiable(frozen);
              assertSharedWhereEqual(previous, frozen);
            });
  }

  @Test
  void freezeAgainstPrevious_stillRejectsBadInput() {
    Map<String, Object> previous = Snapshots.freeze(Map.of("a", Map.of("b", "ok")));
    Map<String, Object> badKey = new HashMap<>();
    badKey.put("\uD800", 1);
    assertThatThrownBy(() -> Freezer.freeze(Map.of("a", badKey), previous))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate");
    assertThatThrownBy(() -> Freezer.freeze(Map.of("a", Map.of("b", "\uDC00")), previous))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/a/b");
    assertThatThrownBy(() -> Freezer.freeze(Map.of("a", Map.of("b", Double.NaN)), previous))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("finite");
  }

  /**
   * Every map, list or string of {@code frozen} equal to the value at the same place of {@code
   * previous} is that value's own instance.
   */
  private static void assertSharedWhereEqual(Object previous, Object frozen) {
    if (previous.equals(frozen)
        && (frozen instanceof Map || frozen instanceof List || frozen instanceof String)) {
      assertThat(frozen).isSameAs(previous);
      return;
    }
    if (previous instanceof Map<?, ?> before && frozen instanceof Map<?, ?> after) {
      after.forEach(
          (key, value) -> {
            Object old = before.get(key);
            if (old != null && value != null) {
              assertSharedWhereEqual(old, value);
            }
          });
    } else if (previous instanceof List<?> before && frozen instanceof List<?> after) {
      for (int i = 0; i < Math.min(before.size(), after.size()); i++) {
        if (before.get(i) != null && after.get(i) != null) {
          assertSharedWhereEqual(before.get(i), after.get(i));
        }
      }
    }
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
