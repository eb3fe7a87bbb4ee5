package dev.chord.spi;

import dev.chord.internal.FrozenMaps;
import dev.chord.internal.JsonPointer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Turns JSON-like data into the immutable snapshot form that {@link dev.chord.Chord} stores and
 * hands out, validating it on the way.
 *
 * <p>Accepted values: {@code null}, {@link Boolean}, {@link String}, {@link Number} ({@code Byte},
 * {@code Short}, {@code Integer}, {@code Long} become {@code Long}; {@code Float}, {@code Double}
 * become {@code Double}; {@link BigInteger} and {@link BigDecimal} stay as they are), {@link List}
 * and {@link Map} with {@code String} keys. Anything else, {@code NaN} and infinities, cycles and
 * nesting deeper than {@value #MAX_DEPTH} maps and lists are rejected with an {@link
 * IllegalArgumentException} naming the offending path as a JSON Pointer (RFC 6901).
 *
 * <p>Backends use this for data they read back, so that what {@code Chord} hands out is always a
 * snapshot: unmodifiable at every level and never changed afterwards.
 */
public final class Snapshots {
  /** The deepest nesting of maps and lists accepted; the root map counts as 1. */
  public static final int MAX_DEPTH = 64;

  private Snapshots() {}

  /**
   * A frozen copy of {@code map}.
   *
   * @throws IllegalArgumentException if {@code map} or anything in it is not JSON-like
   */
  public static Map<String, Object> freeze(Map<String, ?> map) {
    if (map == null) {
      throw new IllegalArgumentException("data must be a map, was null");
    }
    return freezeMap(map, new Path(null, null), new Object[MAX_DEPTH], 0);
  }

  /**
   * A frozen copy of one JSON-like value (a map, a list or a scalar).
   *
   * @throws IllegalArgumentException if {@code value} or anything in it is not JSON-like
   */
  public static Object freezeValue(Object value) {
    return freeze(value, new Path(null, null), new Object[MAX_DEPTH], 0);
  }

  private static Object freeze(Object value, Path path, Object[] ancestors, int depth) {
    if (value == null || value instanceof String || value instanceof Boolean) {
      return value;
    }
    if (value instanceof Long || value instanceof BigInteger) {
      return value;
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Double d) {
      requireFinite(d, path);
      return d;
    }
    if (value instanceof Float f) {
      requireFinite(f.doubleValue(), path);
      // Through the decimal form, so 0.1f becomes 0.1 rather than 0.10000000149011612.
      return Double.valueOf(Float.toString(f));
    }
    if (value instanceof BigDecimal) {
      return value;
    }
    if (value instanceof Map<?, ?> map) {
      return freezeMap(map, path, ancestors, depth);
    }
    if (value instanceof List<?> list) {
      return freezeList(list, path, ancestors, depth);
    }
    throw new IllegalArgumentException(
        "unsupported value of type " + value.getClass().getName() + " at " + path);
  }

  private static Map<String, Object> freezeMap(
      Map<?, ?> map, Path path, Object[] ancestors, int depth) {
    enter(map, path, ancestors, depth);
    FrozenMaps.Builder builder = FrozenMaps.builder();
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      Object key = entry.getKey();
      if (!(key instanceof String name)) {
        throw new IllegalArgumentException(
            "map keys must be strings, found "
                + (key == null ? "null" : key.getClass().getName() + " " + key)
                + " at "
                + path);
      }
      builder.put(name, freeze(entry.getValue(), path.child(name), ancestors, depth + 1));
    }
    return builder.build();
  }

  private static List<Object> freezeList(List<?> list, Path path, Object[] ancestors, int depth) {
    enter(list, path, ancestors, depth);
    Object[] items = new Object[list.size()];
    int i = 0;
    for (Object item : list) {
      if (i == items.length) {
        throw new IllegalArgumentException("list changed while being read at " + path);
      }
      items[i] = freeze(item, path.child(Integer.toString(i)), ancestors, depth + 1);
      i++;
    }
    if (i != items.length) {
      throw new IllegalArgumentException("list changed while being read at " + path);
    }
    return Collections.unmodifiableList(Arrays.asList(items));
  }

  private static void enter(Object container, Path path, Object[] ancestors, int depth) {
    if (depth >= MAX_DEPTH) {
      throw new IllegalArgumentException(
          "nesting deeper than " + MAX_DEPTH + " maps and lists at " + path);
    }
    for (int i = 0; i < depth; i++) {
      if (ancestors[i] == container) {
        throw new IllegalArgumentException("cycle: the value at " + path + " contains itself");
      }
    }
    ancestors[depth] = container;
  }

  private static void requireFinite(double d, Path path) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new IllegalArgumentException("numbers must be finite, found " + d + " at " + path);
    }
  }

  /** A lazily rendered path: built as a linked list, turned into text only for errors. */
  private record Path(Path parent, String key) {
    Path child(String childKey) {
      return new Path(this, childKey);
    }

    @Override
    public String toString() {
      java.util.ArrayDeque<String> keys = new java.util.ArrayDeque<>();
      for (Path p = this; p.parent != null; p = p.parent) {
        keys.addFirst(p.key);
      }
      return keys.isEmpty() ? "the root" : JsonPointer.of(keys);
    }
  }
}
