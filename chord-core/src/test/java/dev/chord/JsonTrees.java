package dev.chord;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Generators and helpers for random JSON-like trees, in the normalized form Chord stores (Long,
 * Double, BigDecimal, BigInteger, String, Boolean, null, lists, maps), and chains of edits over
 * them that produce the tricky delta histories (remove and re-add, add then modify, change and
 * change back, map replaced by a scalar and back, empty maps).
 */
final class JsonTrees {
  private JsonTrees() {}

  /** Few keys, so that random edits collide; includes keys that look like delta syntax. */
  static Arbitrary<String> keys() {
    return Arbitraries.oneOf(
        Arbitraries.of(
            "action",
            "value",
            "key",
            "old_value",
            "a/b",
            "~x",
            "~1",
            "",
            "ünï",
            "日本",
            "a",
            "b",
            "c",
            "version",
            "changes"),
        Arbitraries.strings().withCharRange('a', 'e').ofLength(1));
  }

  static Arbitrary<Object> scalars() {
    return Arbitraries.oneOf(
            Arbitraries.longs().between(-3, 3).map(x -> (Object) x),
            Arbitraries.longs().map(x -> (Object) x),
            Arbitraries.doubles().between(-100, 100).ofScale(3).map(x -> (Object) x),
            Arbitraries.bigDecimals()
                .between(BigDecimal.valueOf(-10), BigDecimal.TEN)
                .ofScale(2)
                .map(x -> (Object) x),
            Arbitraries.of(new BigDecimal("1.0"), new BigDecimal("1.00"), new BigDecimal("1E+3"))
                .map(x -> (Object) x),
            Arbitraries.bigIntegers()
                .between(BigInteger.valueOf(-5), BigInteger.TEN.pow(30))
                .map(x -> (Object) x),
            Arbitraries.strings().ofMaxLength(4).map(x -> (Object) x),
            Arbitraries.of("action", "added", "~0/~1", "value").map(x -> (Object) x),
            Arbitraries.of(true, false).map(x -> (Object) x))
        .injectNull(0.1);
  }

  /** A value nested at most {@code depth} containers deep. */
  static Arbitrary<Object> values(int depth) {
    if (depth <= 0) {
      return scalars();
    }
    return Arbitraries.frequencyOf(
        Tuple.of(6, scalars()),
        Tuple.of(3, maps(depth - 1).map(m -> (Object) m)),
        Tuple.of(1, values(depth - 1).list().ofMaxSize(3).map(l -> (Object) l)));
  }

  /** A map whose values nest at most {@code depth} containers deep; empty maps included. */
  static Arbitrary<Map<String, Object>> maps(int depth) {
    return Arbitraries.maps(keys(), values(depth)).ofMaxSize(4).map(m -> m);
  }

  /** Root states: maps up to three levels of nesting. */
  static Arbitrary<Map<String, Object>> trees() {
    return maps(3);
  }

  /**
   * One step of a chain. {@code kind} picks the edit, {@code where} a map in the state, {@code
   * which} an existing key or an earlier state.
   */
  record Edit(int kind, int where, int which, String key, Object value) {}

  static Arbitrary<Edit> edits() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 8),
            Arbitraries.integers().between(0, 1000),
            Arbitraries.integers().between(0, 1000),
            keys(),
            values(2))
        .as(Edit::new);
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
