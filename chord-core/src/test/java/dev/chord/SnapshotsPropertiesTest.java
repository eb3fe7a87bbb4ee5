package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.spi.Snapshots;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Freezing: any JSON-like input shape gives the normalized tree, unmodifiable throughout. */
class SnapshotsPropertiesTest {

  @Provide
  Arbitrary<Map<String, Object>> trees() {
    return JsonTrees.trees();
  }

  @Property(tries = 200)
  void freeze_otherCollectionAndNumberTypes_givesNormalizedTree(
      @ForAll("trees") Map<String, Object> tree) {
    Map<String, Object> frozen = Snapshots.freeze(varied(tree, 0));
    assertThat(frozen).isEqualTo(tree);
    Unmodifiable.assertDeeplyUnmodifiable(frozen);
    // Freezing a frozen tree gives an equal tree again.
    assertThat(Snapshots.freeze(frozen)).isEqualTo(tree);
  }

  @Property(tries = 100)
  void setContext_variedInput_storedNormalizedAndReadBackEqual(
      @ForAll("trees") Map<String, Object> tree) {
    try (Chord chord = Chord.inMemory()) {
      ContextUpdate created = chord.setContext("c", varied(tree, 0));
      assertThat(created.context().data()).isEqualTo(tree);
      assertThat(chord.updateContext("c", varied(tree, 1)).changed()).isFalse();
      assertThat(chord.setContext("c", tree).changed()).isFalse();
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
