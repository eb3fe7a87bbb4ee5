package dev.chord.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Validates JSON-like input and freezes it (see {@link dev.chord.spi.Snapshots} for the rules). The
 * walking parts are public so that Chord's merge can validate and freeze an update as it walks it,
 * without building a frozen copy of the whole update first.
 */
public final class Freezer {
  /** The deepest nesting of maps and lists accepted; the root map counts as 1. */
  public static final int MAX_DEPTH = 64;

  /** Stands for "no value here before" where {@code null} is a value. */
  private static final Object NOTHING = new Object();

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
    return freezeMap(map, Place.root(map), null);
  }

  /**
   * A frozen copy of {@code map} that shares with {@code previous} (a frozen map, typically the
   * state {@code map} replaces) every value equal to the one at the same place in it: an equal
   * string, number or list, or a map whose entries are all shared, is {@code previous}'s own
   * instance. What is shared was validated when {@code previous} was frozen, so only what differs
   * is checked; equal input freezes to {@code previous} itself. The result equals {@link
   * #freeze(Map)}'s as a map; the order of a shared map's keys is {@code previous}'s.
   *
   * @throws IllegalArgumentException if {@code map} or anything in it is not JSON-like
   */
  public static Map<String, @Nullable Object> freeze(
      Map<String, ?> map, @Nullable Map<String, @Nullable Object> previous) {
    if (map == null) {
      throw new IllegalArgumentException("data must be a map, was null");
    }
    return freezeMap(map, Place.root(map), frozenOrNull(previous));
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
    return freeze(value, parent, key, NOTHING);
  }

  /**
   * {@link #freeze(Object, Place, Object)}, sharing with {@code previous} (the frozen value at the
   * same place before, or {@link #NOTHING}) what equals it.
   */
  private static @Nullable Object freeze(
      @Nullable Object value, Place parent, Object key, @Nullable Object previous) {
    if (value instanceof Map<?, ?> map) {
      return freezeMap(map, parent.child(key, map), frozenOrNull(previous));
    }
    if (value instanceof List<?> list) {
      return freezeList(
          list, parent.child(key, list), previous instanceof List<?> before ? before : null);
    }
    if (value instanceof String text && text.equals(previous)) {
      return previous;
    }
    Object frozen = freezeScalar(value, parent, key);
    return previous != NOTHING && Objects.equals(frozen, previous) ? previous : frozen;
  }

  private static Object freezeContainer(Object container, Place path) {
    return container instanceof Map<?, ?> map
        ? freezeMap(map, path, null)
        : freezeList((List<?>) container, path, null);
  }

  /** {@code value} if it is a frozen map, else {@code null}: only frozen maps are shared. */
  @SuppressWarnings("unchecked")
  private static @Nullable Map<String, @Nullable Object> frozenOrNull(@Nullable Object value) {
    return value != null && FrozenMaps.isFrozen(value)
        ? (Map<String, @Nullable Object>) value
        : null;
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

  private static Map<String, @Nullable Object> freezeMap(
      Map<?, ?> map, Place path, @Nullable Map<String, @Nullable Object> previous) {
    FrozenMaps.Builder builder = FrozenMaps.builder(map.size());
    boolean allShared = previous != null && previous.size() == map.size();
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      Object rawKey = entry.getKey();
      Object before =
          previous != null && rawKey instanceof String known
              ? previous.getOrDefault(known, NOTHING)
              : NOTHING;
      // A key found in previous was validated when previous was frozen.
      String name = before == NOTHING ? key(rawKey, path) : (String) rawKey;
      Object value = freeze(entry.getValue(), path, name, before);
      allShared &= before != NOTHING && value == before;
      builder.put(name, value);
    }
    Map<String, @Nullable Object> built = builder.build();
    // The size check keeps a map whose entry set repeats a key from passing for previous.
    return allShared && built.size() == previous.size() ? previous : built;
  }

  private static List<@Nullable Object> freezeList(
      List<?> list, Place path, @Nullable List<?> previous) {
    @Nullable Object[] items = new Object[list.size()];
    boolean allShared = previous != null && previous.size() == items.length;
    int i = 0;
    for (Object item : list) {
      if (i == items.length) {
        throw new IllegalArgumentException("list changed while being read at " + path.render(null));
      }
      Object before = previous != null && i < previous.size() ? previous.get(i) : NOTHING;
      items[i] = freeze(item, path, i, before);
      allShared &= items[i] == before;
      i++;
    }
    if (i != items.length) {
      throw new IllegalArgumentException("list changed while being read at " + path.render(null));
    }
    @SuppressWarnings("unchecked")
    List<@Nullable Object> shared = (List<@Nullable Object>) previous;
    return allShared ? shared : Collections.unmodifiableList(Arrays.asList(items));
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
