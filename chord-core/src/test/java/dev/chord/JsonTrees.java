package dev.chord;

import static org.quicktheories.generators.SourceDSL.bigIntegers;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * QuickTheories generators and helpers for random JSON-like trees, in the normalized form Chord
 * stores (Long, Double, BigDecimal, BigInteger, String, Boolean, null, lists, maps), and chains of
 * edits over them that produce the tricky delta histories (remove and re-add, add then modify,
 * change and change back, map replaced by a scalar and back, empty maps).
 *
 * <p>Edge cases are generated on purpose rather than left to chance: keys that look like delta or
 * JSON Pointer syntax ({@code "/"}, {@code "~"}, {@code "~1"}), the empty key and string, non-ASCII
 * and astral (surrogate pair) text, {@code Long.MIN_VALUE} and {@code Long.MAX_VALUE}, {@code -0.0}
 * and BigDecimals that differ only in scale. QuickTheories also tries the all-minimum example
 * first, which here is the empty map.
 */
final class JsonTrees {
  /** BigIntegers are drawn from [-5, 10^30]: this many values. */
  private static final BigInteger BIG_INTEGER_SPAN =
      BigInteger.TEN.pow(30).add(BigInteger.valueOf(6));

  private JsonTrees() {}

  /** Few keys, so that random edits collide; includes keys that look like delta syntax. */
  static Gen<String> keys() {
    return oneOf(
        Generate.pick(
            List.of(
                "action",
                "value",
                "key",
                "old_value",
                "a/b",
                "/",
                "~",
                "~x",
                "~1",
                "~0/~1",
                "",
                "ünï",
                "日本",
                "😀",
                "a",
                "b",
                "c",
                "version",
                "changes")),
        Generate.characters('a', 'e').map(c -> String.valueOf(c.charValue())));
  }

  /**
   * Strings of at most {@code maxCodePoints} code points: mostly ASCII, with the characters that
   * JSON and JSON Pointer escape, Latin-1 and CJK text and astral code points (valid surrogate
   * pairs only, as text decoded from UTF-8 has).
   */
  static Gen<String> text(int maxCodePoints) {
    Gen<Integer> codePoints =
        Generate.frequency(
            List.of(
                Pair.of(6, Generate.range(0x20, 0x7e)),
                Pair.of(2, Generate.pick(List.of((int) '/', (int) '~', (int) '"', (int) '\\', 0))),
                Pair.of(1, Generate.range(0xa0, 0xff)),
                Pair.of(1, Generate.range(0x4e00, 0x4eff)),
                Pair.of(1, Generate.range(0x1f600, 0x1f64f))));
    return lists()
        .of(codePoints)
        .ofSizeBetween(0, maxCodePoints)
        .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
  }

  static Gen<Object> scalars() {
    Gen<Object> scalar =
        oneOf(
            longs().between(-3, 3).map(x -> (Object) x),
            longs().all().map(x -> (Object) x),
            Generate.pick(List.of(Long.MIN_VALUE, Long.MAX_VALUE, 0L, -1L)).map(x -> (Object) x),
            // Doubles of scale 3 in [-100, 100], and -0.0 (not equal to 0.0).
            longs().between(-100_000, 100_000).map(x -> (Object) (x / 1000.0)),
            Generate.pick(List.of(0.0, -0.0, 1e300, Double.MIN_VALUE)).map(x -> (Object) x),
            longs().between(-1000, 1000).map(x -> (Object) BigDecimal.valueOf(x, 2)),
            Generate.pick(
                    List.of(new BigDecimal("1.0"), new BigDecimal("1.00"), new BigDecimal("1E+3")))
                .map(x -> (Object) x),
            // BigIntegers in [-5, 10^30].
            bigIntegers()
                .ofBytes(13)
                .map(b -> (Object) b.mod(BIG_INTEGER_SPAN).subtract(BigInteger.valueOf(5))),
            text(4).map(x -> (Object) x),
            Generate.pick(List.of("", "action", "added", "~0/~1", "value")).map(x -> (Object) x),
            Generate.booleans().map(x -> (Object) x));
    return scalar.toOptionals(10).map(o -> o.orElse(null));
  }

  /** A value nested at most {@code depth} containers deep. */
  static Gen<Object> values(int depth) {
    if (depth <= 0) {
      return scalars();
    }
    return Generate.frequency(
        List.of(
            Pair.of(6, scalars()),
            Pair.of(3, maps(depth - 1).map(m -> (Object) m)),
            Pair.of(1, lists().of(values(depth - 1)).ofSizeBetween(0, 3).map(l -> (Object) l))));
  }

  /**
   * A mutable map of at most four entries whose values nest at most {@code depth} containers deep;
   * empty maps included. Built from a list of entries (a repeated key keeps its last value) since
   * QuickTheories' own map generator refuses null values.
   */
  static Gen<Map<String, Object>> maps(int depth) {
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

  /** Root states: maps up to three levels of nesting. */
  static Gen<Map<String, Object>> trees() {
    return maps(3);
  }

  /**
   * One step of a chain. {@code kind} picks the edit, {@code where} a map in the state, {@code
   * which} an existing key or an earlier state.
   */
  record Edit(int kind, int where, int which, String key, Object value) {}

  static Gen<Edit> edits() {
    return integers()
        .between(0, 8)
        .zip(
            integers().between(0, 1000), integers().between(0, 1000), keys(), values(2), Edit::new);
  }

  /** Chains of {@code minEdits} to {@code maxEdits} edits. */
  static Gen<List<Edit>> chains(int minEdits, int maxEdits) {
    return lists().of(edits()).ofSizeBetween(minEdits, maxEdits);
  }

  /**
   * Picks one of {@code gens} with equal weight, shrinking towards the first; unlike {@code
   * Generate.oneOf}, whose generic varargs are not marked safe, it compiles without warnings.
   */
  @SafeVarargs
  static <T> Gen<T> oneOf(Gen<T>... gens) {
    List<Pair<Integer, Gen<T>>> weighted = new ArrayList<>();
    for (Gen<T> gen : gens) {
      weighted.add(Pair.of(1, gen));
    }
    return Generate.frequency(weighted);
  }

  /** {@code start} followed by the state after each edit; every state is a fresh mutable tree. */
  static List<Map<String, Object>> chain(Map<String, Object> start, List<Edit> edits) {
    List<Map<String, Object>> states = new ArrayList<>();
    states.add(copy(start));
    for (Edit edit : edits) {
      states.add(apply(edit, states));
    }
    return states;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> apply(Edit edit, List<Map<String, Object>> states) {
    Map<String, Object> previous = states.get(states.size() - 1);
    if (edit.kind == 2) {
      return copy(states.get(edit.which % states.size())); // back to an earlier state
    }
    if (edit.kind == 7) {
      return copy(states.get(Math.max(0, states.size() - 2))); // undo the last step
    }
    Map<String, Object> next = copy(previous);
    List<Map<String, Object>> targets = new ArrayList<>();
    collectMaps(next, targets);
    Map<String, Object> target = targets.get(edit.where % targets.size());
    List<String> existing = new ArrayList<>(new TreeMap<>(target).keySet());
    String some = existing.isEmpty() ? edit.key : existing.get(edit.which % existing.size());
    switch (edit.kind) {
      case 0 -> target.put(edit.key, copyValue(edit.value));
      case 1 -> target.remove(some);
      case 3 -> target.put(edit.key, new HashMap<>());
      case 4 -> target.put(some, edit.value instanceof Map ? "scalar" : copyValue(edit.value));
      case 5 -> target.put(edit.key, new HashMap<>(Map.of(some, "inner")));
      case 6 -> {
        Object old = target.get(some);
        if (old instanceof Map<?, ?> map) {
          ((Map<String, Object>) map).put(edit.key, copyValue(edit.value));
        } else {
          target.put(some, copyValue(edit.value));
        }
      }
      default -> {
        target.remove(some);
        target.put(edit.key, copyValue(edit.value));
      }
    }
    return next;
  }

  @SuppressWarnings("unchecked")
  private static void collectMaps(Map<String, Object> map, List<Map<String, Object>> out) {
    out.add(map);
    for (Object value : new TreeMap<>(map).values()) {
      if (value instanceof Map<?, ?> child) {
        collectMaps((Map<String, Object>) child, out);
      }
    }
  }

  /** A deep, mutable copy. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> copy(Map<String, ?> map) {
    return (Map<String, Object>) copyValue(map);
  }

  static Object copyValue(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new HashMap<>();
      map.forEach((k, v) -> out.put((String) k, copyValue(v)));
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(copyValue(v)));
      return out;
    }
    return value;
  }

  /** The reference deep merge of the issue: maps merge into maps, anything else replaces. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> deepMerge(Map<String, Object> state, Map<String, Object> changes) {
    Map<String, Object> out = copy(state);
    changes.forEach(
        (key, incoming) -> {
          Object current = out.get(key);
          if (current instanceof Map<?, ?> c && incoming instanceof Map<?, ?> i) {
            out.put(key, deepMerge((Map<String, Object>) c, (Map<String, Object>) i));
          } else {
            out.put(key, copyValue(incoming));
          }
        });
    return out;
  }
}
