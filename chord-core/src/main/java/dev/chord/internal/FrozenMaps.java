package dev.chord.internal;

import java.util.Map;
import org.organicdesign.fp.collections.ImMap;
import org.organicdesign.fp.collections.MutMap;
import org.organicdesign.fp.collections.PersistentHashMap;

/**
 * The one place that knows how frozen maps are made: persistent hash array mapped tries (Paguro's
 * {@link PersistentHashMap}). An update of one key copies only the path to it (O(log n)), so a
 * context of any size is updated in near-constant time, and every earlier version stays intact and
 * shareable as a snapshot. They implement {@link Map} with every mutator throwing.
 */
public final class FrozenMaps {
  private FrozenMaps() {}

  /** The empty frozen map. */
  public static Map<String, Object> empty() {
    return PersistentHashMap.empty();
  }

  /** Whether {@code map} is a frozen map made here (so it can be shared, not copied). */
  public static boolean isFrozen(Object map) {
    return map instanceof PersistentHashMap;
  }

  /** A copy of frozen {@code map} with {@code key} set to {@code value}. */
  public static Map<String, Object> with(Map<String, Object> map, String key, Object value) {
    return asIm(map).assoc(key, value);
  }

  /** A copy of frozen {@code map} without {@code key}. */
  public static Map<String, Object> without(Map<String, Object> map, String key) {
    return asIm(map).without(key);
  }

  /** A builder that fills a new frozen map in place, then freezes it with {@link Builder#build}. */
  public static Builder builder() {
    return new Builder(PersistentHashMap.emptyMutable());
  }

  /** A builder that starts from frozen {@code map}; {@code map} itself is not changed. */
  public static Builder builder(Map<String, Object> map) {
    return new Builder(asIm(map).mutable());
  }

  @SuppressWarnings("unchecked")
  private static ImMap<String, Object> asIm(Map<String, Object> map) {
    if (map instanceof ImMap) {
      return (ImMap<String, Object>) map;
    }
    throw new IllegalStateException("not a frozen map: " + map.getClass().getName());
  }

  /** Fills one frozen map. Single use, one thread. */
  public static final class Builder {
    private MutMap<String, Object> map;

    private Builder(MutMap<String, Object> map) {
      this.map = map;
    }

    public Builder put(String key, Object value) {
      map = map.assoc(key, value);
      return this;
    }

    public Builder remove(String key) {
      map = map.without(key);
      return this;
    }

    public Map<String, Object> build() {
      return map.immutable();
    }
  }
}
