package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.bigIntegers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.spi.Snapshots;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Laws of the stored form, over random JSON-like trees (QuickTheories: a failure prints the
 * smallest falsifying value and the seed for {@code -DQT_SEED=...}).
 *
 * <p>Edge cases are generated on purpose: keys that collide with the layout's own syntax ({@code
 * "$dec"}, {@code "/"}, {@code "~1"}, {@code "{x}"}), the empty key and string, escapes, non-ASCII
 * and astral text, {@code Long.MIN_VALUE}/{@code Long.MAX_VALUE}, the extreme finite doubles,
 * {@code -0.0}, and BigDecimals whose scale must survive. QuickTheories also tries the all-minimum
 * example first (an empty map, an empty string).
 */
class StoredFormPropertiesTest {
  private static final BigInteger TEN_POW_30 = BigInteger.TEN.pow(30);

  /** BigIntegers are drawn from [-10^30, 10^30]: this many values. */
  private static final BigInteger BIG_INTEGER_SPAN = TEN_POW_30.shiftLeft(1).add(BigInteger.ONE);

  /**
   * Applying the hash writes of each delta, one after another, always leaves exactly the hash of
   * the current state, and that hash rebuilds the current state. The message written in the same
   * walk is, byte for byte, the delta written plainly, and reads back as the same record. The size
   * a node weighs its copy by follows exactly: the size before plus the delta's size change is the
   * size of the new state's hash.
   */
  @Test
  void layout_writesOfEachDelta_keepTheHashEqualToTheState() {
    qt().withExamples(300)
        .forAll(lists().of(maps(3)).ofSizeBetween(1, 8))
        .checkAssert(StoredFormPropertiesTest::hashFollowsTheState);
  }

  private static void hashFollowsTheState(List<Map<String, Object>> trees) {
    Map<String, String> hash = new HashMap<>();
    Map<String, Object> state = Snapshots.freeze(Map.of());
    for (int i = 0; i < trees.size(); i++) {
      Map<String, Object> next =
          Snapshots.freeze(i % 2 == 1 ? merge(state, trees.get(i)) : trees.get(i));
      DeltaRecord record = new DeltaRecord("ctx", i + 1, Delta.diff(state, next), i, "epochOfCtx");
      LeafLayout.Writes writes = LeafLayout.of(record);
      assertThat(writes.message()).isEqualTo(JsonCodec.VALUES.writeDeltaMessage(record));
      assertThat(JsonCodec.VALUES.readDeltaMessage("ctx", writes.message(), "epochOfCtx"))
          .isEqualTo(record);
      long sizeBefore = LeafLayout.size(hash);
      writes.deletes().forEach(hash::remove);
      for (int k = 0; k < writes.sets().size(); k += 2) {
        hash.put(writes.sets().get(k), writes.sets().get(k + 1));
      }
      assertThat(hash).isEqualTo(toMap(LeafLayout.fieldsOf(next)));
      Map<String, Object> rebuilt = LeafLayout.rebuild(hash);
      assertThat(rebuilt).isEqualTo(next);
      assertSameTypes(rebuilt, next);
      assertThat(LeafLayout.size(hash))
          .isEqualTo(sizeBefore + writes.sizeChange())
          .isEqualTo(sizeBefore + LeafLayout.sizeChange(record.delta()))
          .isEqualTo(LeafLayout.size(LeafLayout.fieldsOf(next)));
      state = next;
    }
  }

  private static Gen<String> keys() {
    return oneOf(
        Generate.pick(
            List.of(
                "a", "b", "c", "$dec", "$int", "$map", "$x", "", "a/b", "/", "~", "~0", "~1", "ü 漢",
                "😀", "{x}")),
        Generate.characters('a', 'd').map(c -> String.valueOf(c.charValue())));
  }

  /**
   * Strings of at most {@code maxCodePoints} code points: mostly ASCII, with the characters JSON
   * escapes, Latin-1 and CJK text and astral code points (valid surrogate pairs only).
   */
  private static Gen<String> text(int maxCodePoints) {
    Gen<Integer> codePoints =
        Generate.frequency(
            List.of(
                Pair.of(6, Generate.range(0x20, 0x7e)),
                Pair.of(2, Generate.pick(List.of((int) '"', (int) '\\', 0, 0x1f, 0x7f, 0x2028))),
                Pair.of(1, Generate.range(0xa0, 0xff)),
                Pair.of(1, Generate.range(0x4e00, 0x4eff)),
                Pair.of(1, Generate.range(0x1f600, 0x1f64f))));
    return lists()
        .of(codePoints)
        .ofSizeBetween(0, maxCodePoints)
        .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
  }

  /**
   * Any finite double of either sign, uniform over bit patterns: subnormal, tiny and huge values
   * are as likely as ordinary ones.
   */
  private static Gen<Double> finiteDoubles() {
    return longs()
        .between(0, Double.doubleToRawLongBits(Double.MAX_VALUE))
        .zip(
            Generate.booleans(),
            (bits, negative) -> (negative ? -1 : 1) * Double.longBitsToDouble(bits));
  }

  private static Gen<Object> scalars() {
    Gen<Object> scalar =
        oneOf(
            longs().all().map(x -> (Object) x),
            Generate.pick(List.of(Long.MAX_VALUE, Long.MIN_VALUE, (1L << 53) + 1, 0L))
                .map(x -> (Object) x),
            finiteDoubles().map(x -> (Object) x),
            // Decimal-looking doubles, as JSON numbers mostly are.
            longs().between(-1_000_000_000, 1_000_000_000).map(x -> (Object) (x / 100.0)),
            Generate.pick(List.of(1.0, -0.0, 1e300, Double.MIN_VALUE, 0.1, Double.MAX_VALUE))
                .map(x -> (Object) x),
            longs().between(-1_000_000, 1_000_000).map(x -> (Object) BigDecimal.valueOf(x, 3)),
            Generate.pick(
                    List.of(new BigDecimal("1E+3"), new BigDecimal("100"), new BigDecimal("-0.00")))
                .map(x -> (Object) x),
            // BigIntegers in [-10^30, 10^30].
            bigIntegers()
                .ofBytes(14)
                .map(b -> (Object) b.mod(BIG_INTEGER_SPAN).subtract(TEN_POW_30)),
            text(5).map(x -> (Object) x),
            Generate.pick(List.of("", "\"", "\\", "{}", "[]", "1", "1.0", "$dec", "\u0000"))
                .map(x -> (Object) x),
            Generate.booleans().map(x -> (Object) x));
    return scalar.toOptionals(10).map(o -> o.orElse(null));
  }

  private static Gen<Object> values(int depth) {
    if (depth <= 0) {
      return scalars();
    }
    return Generate.frequency(
        List.of(
            Pair.of(5, scalars()),
            Pair.of(3, maps(depth - 1).map(m -> (Object) m)),
            Pair.of(1, lists().of(values(depth - 1)).ofSizeBetween(0, 3).map(l -> (Object) l))));
  }

  /**
   * Maps of at most four entries, built from a list of entries (a repeated key keeps its last
   * value) since QuickTheories' own map generator refuses null values.
   */
  private static Gen<Map<String, Object>> maps(int depth) {
    return lists()
        .of(keys().zip(values(depth), Pair::of))
        .ofSizeBetween(0, 4)
        .map(
            entries -> {
              Map<String, Object> map = new HashMap<>();
              entries.forEach(e -> map.put(e._1, e._2));
              return map;
            });
  }

  /**
   * Picks one of {@code gens} with equal weight, shrinking towards the first; unlike {@code
   * Generate.oneOf}, whose generic varargs are not marked safe, it compiles without warnings.
   */
  @SafeVarargs
  private static <T> Gen<T> oneOf(Gen<T>... gens) {
    List<Pair<Integer, Gen<T>>> weighted = new ArrayList<>();
    for (Gen<T> gen : gens) {
      weighted.add(Pair.of(1, gen));
    }
    return Generate.frequency(weighted);
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
