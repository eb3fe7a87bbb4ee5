package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Delta;
import dev.chord.spi.Snapshots;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Laws of the stored form, over random JSON-like trees. */
class StoredFormPropertiesTest {

  /** Any value reads back equal, with the same Java types at every level. */
  @Property(tries = 500)
  void codec_roundTripsEveryValueWithItsTypes(@ForAll("values") Object value) {
    Object frozen = Snapshots.freezeValue(value);
    Object read = Snapshots.freezeValue(JsonCodec.read(JsonCodec.write(frozen)));
    assertThat(read).isEqualTo(frozen);
    assertSameTypes(read, frozen);
  }

  /**
   * Applying the hash writes of each delta, one after another, always leaves exactly the hash of
   * the current state, and that hash rebuilds the current state.
   */
  @Property(tries = 300)
  void layout_writesOfEachDelta_keepTheHashEqualToTheState(
      @ForAll("trees") List<Map<String, Object>> trees) {
    Map<String, String> hash = new HashMap<>();
    Map<String, Object> state = Snapshots.freeze(Map.of());
    for (int i = 0; i < trees.size(); i++) {
      Map<String, Object> next =
          Snapshots.freeze(i % 2 == 1 ? merge(state, trees.get(i)) : trees.get(i));
      LeafLayout.Writes writes = LeafLayout.of(Delta.diff(state, next));
      writes.deletes().forEach(hash::remove);
      for (int k = 0; k < writes.sets().size(); k += 2) {
        hash.put(writes.sets().get(k), writes.sets().get(k + 1));
      }
      assertThat(hash).isEqualTo(toMap(LeafLayout.fieldsOf(next)));
      assertThat(LeafLayout.rebuild(hash)).isEqualTo(next);
      state = next;
    }
  }

  @Provide
  Arbitrary<Object> values() {
    return values(3);
  }

  @Provide
  Arbitrary<List<Map<String, Object>>> trees() {
    return maps(3).list().ofMinSize(1).ofMaxSize(8);
  }

  private static Arbitrary<String> keys() {
    return Arbitraries.oneOf(
        Arbitraries.of("a", "b", "c", "$dec", "$int", "$map", "$x", "", "a/b", "~0", "~1", "ü 漢", "{x}"),
        Arbitraries.strings().withCharRange('a', 'd').ofLength(1));
  }

  private static Arbitrary<Object> scalars() {
    return Arbitraries.oneOf(
            Arbitraries.longs().map(x -> (Object) x),
            Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE, (1L << 53) + 1, 0L).map(x -> (Object) x),
            Arbitraries.doubles().map(x -> (Object) x),
            Arbitraries.of(1.0, -0.0, 1e300, Double.MIN_VALUE, 0.1).map(x -> (Object) x),
            Arbitraries.bigDecimals()
                .between(BigDecimal.valueOf(-1000), BigDecimal.valueOf(1000))
                .ofScale(3)
                .map(x -> (Object) x),
            Arbitraries.of(new BigDecimal("1E+3"), new BigDecimal("100"), new BigDecimal("-0.00"))
                .map(x -> (Object) x),
            Arbitraries.bigIntegers()
                .between(BigInteger.TEN.pow(30).negate(), BigInteger.TEN.pow(30))
                .map(x -> (Object) x),
            Arbitraries.strings().ofMaxLength(5).map(x -> (Object) x),
            Arbitraries.of("\"", "\\", "{}", "[]", "1", "1.0", "$dec", "\u0000").map(x -> (Object) x),
            Arbitraries.of(true, false).map(x -> (Object) x))
        .injectNull(0.1);
  }

  private static Arbitrary<Object> values(int depth) {
    if (depth <= 0) {
      return scalars();
    }
    return Arbitraries.frequencyOf(
        Tuple.of(5, scalars()),
        Tuple.of(3, maps(depth - 1).map(m -> (Object) m)),
        Tuple.of(1, values(depth - 1).list().ofMaxSize(3).map(l -> (Object) l)));
  }

  private static Arbitrary<Map<String, Object>> maps(int depth) {
    return Arbitraries.maps(keys(), values(depth)).ofMaxSize(4).map(m -> m);
  }

  /** Chord's deep merge: maps merge into maps, anything else replaces. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> merge(Map<String, Object> state, Map<String, Object> changes) {
    Map<String, Object> out = new HashMap<>(state);
    changes.forEach(
        (key, incoming) -> {
          Object current = out.get(key);
          out.put(
              key,
              current instanceof Map<?, ?> c && incoming instanceof Map<?, ?> i
                  ? merge((Map<String, Object>) c, (Map<String, Object>) i)
                  : incoming);
        });
    return out;
  }

  private static Map<String, String> toMap(List<String> pairs) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < pairs.size(); i += 2) {
      out.put(pairs.get(i), pairs.get(i + 1));
    }
    return out;
  }

  private static void assertSameTypes(Object actual, Object expected) {
    if (expected == null) {
      assertThat(actual).isNull();
      return;
    }
    assertThat(actual).hasSameClassAs(expected);
    if (expected instanceof BigDecimal d) {
      assertThat(((BigDecimal) actual).scale()).isEqualTo(d.scale());
    } else if (expected instanceof Map<?, ?> map) {
      map.forEach((k, v) -> assertSameTypes(((Map<?, ?>) actual).get(k), v));
    } else if (expected instanceof List<?> list) {
      List<?> read = new ArrayList<>((List<?>) actual);
      for (int i = 0; i < list.size(); i++) {
        assertSameTypes(read.get(i), list.get(i));
      }
    }
  }
}
