package dev.chord.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Validates JSON-like input and freezes it (see {@link dev.chord.spi.Snapshots} for the rules). The
 * walking parts are public so that Chord's merge can validate and freeze an update as it walks it,
 * without building a frozen copy of the whole update first.
 */
public final class Freezer {
  /** The deepest nesting of maps and lists accepted; the root map counts as 1. */
  public static final int MAX_DEPTH = 64;

  private Freezer() {}

  /**
   * A frozen copy of {@code map}.
   *
   * @throws IllegalArgumentException if {@code map} or anything in it is not JSON-like
   */
  public static Map<String, @Nullable Object> freeze(Map<String, ?> map) {
    if (map == null) {
      throw new IllegalArgumentException("data must be a map, was null");
    }
    return freezeMap(map, Place.root(map));
  }

  /**
   * A frozen copy of one JSON-like value (a map, a list or a scalar; {@code null} stays {@code
   * null}).
   *
   * @throws IllegalArgumentException if {@code value} or anything in it is not JSON-like
   */
  public static @Nullable Object freezeValue(@Nullable Object value) {
    return value instanceof Map<?, ?> || value instanceof List<?>
        ? freezeContainer(value, Place.root(value))
        : freezeScalar(value, Place.root(null), null);
  }

  /**
   * A frozen copy of the value found at {@code key} (a String or a list index) of the container at
   * {@code parent}: for code that walks input itself and freezes parts of it.
   */
  public static @Nullable Object freeze(@Nullable Object value, Place parent, Object key) {
    return value instanceof Map<?, ?> || value instanceof List<?>
        ? freezeContainer(value, parent.child(key, value))
        : freezeScalar(value, parent, key);
  }

  private static Object freezeContainer(Object container, Place path) {
    return container instanceof Map<?, ?> map
        ? freezeMap(map, path)
        : freezeList((List<?>) container, path);
  }

  /** A scalar as stored; {@code parent} and {@code key} name its place, for errors only. */
  private static @Nullable Object freezeScalar(
      @Nullable Object value, Place parent, @Nullable Object key) {
    if (value instanceof String text) {
      requireWellFormed(text, parent, key);
      return text;
    }
    if (value == null || value instanceof Boolean || value instanceof Long) {
      return value;
    }
    // BigInteger and BigDecimal are not final: a subclass could change after it was stored.
    if (value instanceof BigInteger big) {
      return big.getClass() == BigInteger.class ? big : new BigInteger(big.toByteArray());
    }
    if (value instanceof BigDecimal big) {
      return big.getClass() == BigDecimal.class
          ? big
          : new BigDecimal(new BigInteger(big.unscaledValue().toByteArray()), big.scale());
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Double d) {
      requireFinite(d, parent, key);
      return d;
    }
    if (value instanceof Float f) {
      requireFinite(f.doubleValue(), parent, key);
      // Through the decimal form, so 0.1f becomes 0.1 rather than 0.10000000149011612.
      return Double.valueOf(Float.toString(f));
    }
    throw new IllegalArgumentException(
        "unsupported value of type " + value.getClass().getName() + " at " + parent.render(key));
  }

  /**
   * {@code key} as a map key found in the map at {@code at}.
   *
   * @throws IllegalArgumentException if it is not a String
   */
  public static String key(@Nullable Object key, Place at) {
    if (key instanceof String name) {
      requireWellFormed(name, at, null);
      return name;
    }
    throw new IllegalArgumentException(
        "map keys must be strings, found "
            + (key == null ? "null" : key.getClass().getName() + " " + key)
            + " at "
            + at.render(null));
  }

  private static Map<String, @Nullable Object> freezeMap(Map<?, ?> map, Place path) {
    FrozenMaps.Builder builder = FrozenMaps.builder(map.size());
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String name = key(entry.getKey(), path);
      builder.put(name, freeze(entry.getValue(), path, name));
    }
    return builder.build();
  }

  private static List<@Nullable Object> freezeList(List<?> list, Place path) {
    @Nullable Object[] items = new Object[list.size()];
    int i = 0;
    for (Object item : list) {
      if (i == items.length) {
        throw new IllegalArgumentException("list changed while being read at " + path.render(null));
      }
      items[i] = freeze(item, path, i);
      i++;
    }
    if (i != items.length) {
      throw new IllegalArgumentException("list changed while being read at " + path.render(null));
    }
    return Collections.unmodifiableList(Arrays.asList(items));
  }

  /**
   * Refuses a string with an unpaired surrogate: it is no Unicode text, so no store can keep it (a
   * UTF-8 encoder turns it into {@code ?}, and two different strings into one).
   */
  private static void requireWellFormed(String text, Place parent, @Nullable Object key) {
    int at = unpairedSurrogate(text);
    if (at >= 0) {
      throw new IllegalArgumentException(
          "a string with an unpaired surrogate (index " + at + ") at " + parent.render(key));
    }
  }

  /** The index of the first unpaired surrogate in {@code text}, or -1 if it is well-formed. */
  public static int unpairedSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
        } else {
          return i;
        }
      } else if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  private static void requireFinite(double d, Place parent, @Nullable Object key) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new IllegalArgumentException(
          "numbers must be finite, found " + d + " at " + parent.render(key));
    }
  }

  /**
   * The chain of containers from the root to the one being frozen: it names the place in errors
   * (rendered only then) and finds cycles and excess depth. Scalars get no node of their own.
   */
  public record Place(
      @Nullable Place parent, @Nullable Object key, @Nullable Object container, int depth) {
    /**
     * The node of the outermost value; the root container counts as depth 1. {@code container} is
     * {@code null} for a lone scalar, which has no container.
     */
    public static Place root(@Nullable Object container) {
      return new Place(null, null, container, 1);
    }

    /** The node of {@code childContainer}, found at {@code childKey} in this one. */
    public Place child(Object childKey, Object childContainer) {
      Place child = new Place(this, childKey, childContainer, depth + 1);
      if (child.depth > MAX_DEPTH) {
        throw new IllegalArgumentException(
            "nesting deeper than " + MAX_DEPTH + " maps and lists at " + child.render(null));
      }
      for (Place p = this; p != null; p = p.parent) {
        if (p.container == childContainer) {
          throw new IllegalArgumentException(
              "cycle: the value at " + child.render(null) + " contains itself");
        }
      }
      return child;
    }

    /** This place as a JSON Pointer, followed by {@code lastKey} if it is not null. */
    public String render(@Nullable Object lastKey) {
      ArrayDeque<String> keys = new ArrayDeque<>();
      if (lastKey != null) {
        keys.addFirst(lastKey.toString());
      }
      for (Place p = this; p.parent != null; p = p.parent) {
        keys.addFirst(p.key.toString());
      }
      return keys.isEmpty() ? "the root" : JsonPointer.of(keys);
    }
  }
}
