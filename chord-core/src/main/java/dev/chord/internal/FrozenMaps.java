package dev.chord.internal;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.organicdesign.fp.collections.ImMap;
import org.organicdesign.fp.collections.MutMap;
import org.organicdesign.fp.collections.PersistentHashMap;

/**
 * The one place that knows how frozen maps are made. A map of up to {@value #SMALL} entries is a
 * flat array of keys and values (as Clojure's array maps): most maps in a context are small records
 * (one participant, one message), and a flat array is built with one allocation, found by a short
 * scan and copied in one step. A larger map is a persistent hash array mapped trie (Paguro's {@link
 * PersistentHashMap}): an update of one key copies only the path to it (O(log n)), so a context of
 * any size is updated in near-constant time. Either way every earlier version stays intact and
 * shareable as a snapshot.
 *
 * <p>Both sit behind one {@link Map} view of our own ({@link FrozenMap}), so that a frozen map is
 * recognised by its type (and never copied again), prints like any Java map, and exposes no
 * mutator: every one throws {@link UnsupportedOperationException}.
 */
public final class FrozenMaps {
  /** The most entries kept as a flat array; one more and the map becomes a trie. */
  static final int SMALL = 8;

  private static final FrozenMap EMPTY = new FrozenMap(null, new Object[0]);

  private FrozenMaps() {}

  /** The empty frozen map. */
  public static Map<String, @Nullable Object> empty() {
    return EMPTY;
  }

  /** Whether {@code map} is a frozen map made here (so it can be shared, not copied). */
  public static boolean isFrozen(Object map) {
    return map instanceof FrozenMap;
  }

  /** A copy of frozen {@code map} with {@code key} set to {@code value}. */
  public static Map<String, @Nullable Object> with(
      Map<String, @Nullable Object> map, String key, @Nullable Object value) {
    FrozenMap frozen = frozen(map);
    @Nullable Object[] kv = frozen.kv;
    if (kv == null) {
      return new FrozenMap(frozen.trie.assoc(key, value), null);
    }
    int at = frozen.indexOf(key);
    if (at >= 0) {
      @Nullable Object[] copy = kv.clone();
      copy[at + 1] = value;
      return new FrozenMap(null, copy);
    }
    if (kv.length < 2 * SMALL) {
      @Nullable Object[] copy = Arrays.copyOf(kv, kv.length + 2);
      copy[kv.length] = key;
      copy[kv.length + 1] = value;
      return new FrozenMap(null, copy);
    }
    MutMap<String, @Nullable Object> trie = PersistentHashMap.emptyMutable();
    for (int i = 0; i < kv.length; i += 2) {
      trie = trie.assoc((String) kv[i], kv[i + 1]);
    }
    return new FrozenMap(trie.assoc(key, value).immutable(), null);
  }

  /** A copy of frozen {@code map} without {@code key}. */
  public static Map<String, @Nullable Object> without(
      Map<String, @Nullable Object> map, String key) {
    FrozenMap frozen = frozen(map);
    @Nullable Object[] kv = frozen.kv;
    if (kv == null) {
      return frozen.trie.containsKey(key) ? new FrozenMap(frozen.trie.without(key), null) : frozen;
    }
    int at = frozen.indexOf(key);
    if (at < 0) {
      return frozen;
    }
    if (kv.length == 2) {
      return EMPTY;
    }
    @Nullable Object[] copy = new Object[kv.length - 2];
    System.arraycopy(kv, 0, copy, 0, at);
    System.arraycopy(kv, at + 2, copy, at, kv.length - at - 2);
    return new FrozenMap(null, copy);
  }

  /**
   * A builder for a new frozen map of about {@code expectedSize} entries, frozen with {@link
   * Builder#build}.
   */
  public static Builder builder(int expectedSize) {
    return new Builder(expectedSize);
  }

  private static FrozenMap frozen(Map<String, @Nullable Object> map) {
    if (map instanceof FrozenMap frozen) {
      return frozen;
    }
    throw new IllegalStateException("not a frozen map: " + map.getClass().getName());
  }

  /**
   * Fills one frozen map. Single use, one thread. Up to {@value #SMALL} entries go into a flat
   * array; past that, into a transient trie, filled in place and frozen at the end.
   */
  public static final class Builder {
    /** The flat entries until the map outgrows them; {@code null} once {@code large} is used. */
    private @Nullable Object @Nullable [] kv;

    private int size;

    /** The trie, once the map has more than {@value #SMALL} entries; {@code null} before. */
    private @Nullable MutMap<String, @Nullable Object> large;

    private Builder(int expectedSize) {
      if (expectedSize <= SMALL) {
        kv = new Object[2 * Math.max(expectedSize, 1)];
      } else {
        large = PersistentHashMap.emptyMutable();
      }
    }

    public Builder put(String key, @Nullable Object value) {
      if (large != null) {
        large = large.assoc(key, value);
        return this;
      }
      for (int i = 0; i < 2 * size; i += 2) {
        if (kv[i].equals(key)) {
          kv[i + 1] = value;
          return this;
        }
      }
      if (size == SMALL) {
        large = PersistentHashMap.emptyMutable();
        for (int i = 0; i < 2 * size; i += 2) {
          large = large.assoc((String) kv[i], kv[i + 1]);
        }
        large = large.assoc(key, value);
        kv = null;
        return this;
      }
      if (2 * size == kv.length) {
        kv = Arrays.copyOf(kv, Math.min(2 * kv.length, 2 * SMALL));
      }
      kv[2 * size] = key;
      kv[2 * size + 1] = value;
      size++;
      return this;
    }

    public Map<String, @Nullable Object> build() {
      if (large != null) {
        return new FrozenMap(large.immutable(), null);
      }
      if (size == 0) {
        return EMPTY;
      }
      return new FrozenMap(null, kv.length == 2 * size ? kv : Arrays.copyOf(kv, 2 * size));
    }
  }

  /**
   * An unmodifiable {@link Map} view of a flat key-value array ({@code kv}, keys at even indexes)
   * or of a persistent trie; exactly one of the two is set. Every mutator throws, even one that
   * would change nothing (removing an absent key, clearing an empty map), as {@link
   * java.util.Collections#unmodifiableMap} does: AbstractMap's defaults only throw once they reach
   * an element, which would let such calls pass silently.
   */
  private static final class FrozenMap extends AbstractMap<String, @Nullable Object> {
    private final @Nullable ImMap<String, @Nullable Object> trie;
    private final @Nullable Object @Nullable [] kv;
    private @Nullable Set<Entry<String, @Nullable Object>> entries;
    private @Nullable Set<String> keys;
    private @Nullable Collection<@Nullable Object> values;

    FrozenMap(@Nullable ImMap<String, @Nullable Object> trie, @Nullable Object @Nullable [] kv) {
      this.trie = trie;
      this.kv = kv;
    }

    /** The index of {@code key} in {@code kv}, or -1. */
    int indexOf(@Nullable Object key) {
      for (int i = 0; i < kv.length; i += 2) {
        if (kv[i].equals(key)) {
          return i;
        }
      }
      return -1;
    }

    @Override
    public int size() {
      return kv != null ? kv.length / 2 : trie.size();
    }

    @Override
    public @Nullable Object get(@Nullable Object key) {
      if (kv == null) {
        return trie.get(key);
      }
      int at = indexOf(key);
      return at < 0 ? null : kv[at + 1];
    }

    @Override
    public boolean containsKey(@Nullable Object key) {
      return kv != null ? indexOf(key) >= 0 : trie.containsKey(key);
    }

    @Override
    public Set<Entry<String, @Nullable Object>> entrySet() {
      Set<Entry<String, @Nullable Object>> view = entries;
      if (view == null) {
        view = Collections.unmodifiableSet(new EntryView(this));
        entries = view;
      }
      return view;
    }

    @Override
    public Set<String> keySet() {
      Set<String> view = keys;
      if (view == null) {
        view = Collections.unmodifiableSet(super.keySet());
        keys = view;
      }
      return view;
    }

    @Override
    public Collection<@Nullable Object> values() {
      Collection<@Nullable Object> view = values;
      if (view == null) {
        view = Collections.unmodifiableCollection(super.values());
        values = view;
      }
      return view;
    }

    @Override
    public @Nullable Object put(String key, @Nullable Object value) {
      throw refused();
    }

    @Override
    public void putAll(Map<? extends String, ?> map) {
      throw refused();
    }

    @Override
    public @Nullable Object remove(@Nullable Object key) {
      throw refused();
    }

    @Override
    public boolean remove(@Nullable Object key, @Nullable Object value) {
      throw refused();
    }

    @Override
    public void clear() {
      throw refused();
    }

    @Override
    public @Nullable Object putIfAbsent(String key, @Nullable Object value) {
      throw refused();
    }

    @Override
    public boolean replace(String key, @Nullable Object oldValue, @Nullable Object newValue) {
      throw refused();
    }

    @Override
    public @Nullable Object replace(String key, @Nullable Object value) {
      throw refused();
    }

    @Override
    public void replaceAll(
        BiFunction<? super String, ? super @Nullable Object, ? extends @Nullable Object> function) {
      throw refused();
    }

    @Override
    public @Nullable Object computeIfAbsent(
        String key, Function<? super String, ? extends @Nullable Object> function) {
      throw refused();
    }

    @Override
    public @Nullable Object computeIfPresent(
        String key,
        BiFunction<? super String, ? super Object, ? extends @Nullable Object> function) {
      throw refused();
    }

    @Override
    public @Nullable Object compute(
        String key,
        BiFunction<? super String, ? super @Nullable Object, ? extends @Nullable Object> function) {
      throw refused();
    }

    @Override
    public @Nullable Object merge(
        String key,
        Object value,
        BiFunction<? super Object, ? super Object, ? extends @Nullable Object> function) {
      throw refused();
    }

    private static UnsupportedOperationException refused() {
      return new UnsupportedOperationException("a context snapshot cannot be changed");
    }
  }

  /** The entries of a frozen map, as immutable entries. */
  private static final class EntryView extends AbstractSet<Map.Entry<String, @Nullable Object>> {
    private final FrozenMap map;

    EntryView(FrozenMap map) {
      this.map = map;
    }

    @Override
    public Iterator<Map.Entry<String, @Nullable Object>> iterator() {
      @Nullable Object[] kv = map.kv;
      if (kv != null) {
        return new Iterator<>() {
          private int next;

          @Override
          public boolean hasNext() {
            return next < kv.length;
          }

          @Override
          public Map.Entry<String, @Nullable Object> next() {
            if (next >= kv.length) {
              throw new NoSuchElementException();
            }
            next += 2;
            return new AbstractMap.SimpleImmutableEntry<>((String) kv[next - 2], kv[next - 1]);
          }
        };
      }
      Iterator<? extends Map.Entry<String, @Nullable Object>> inner = map.trie.iterator();
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return inner.hasNext();
        }

        @Override
        public Map.Entry<String, @Nullable Object> next() {
          Map.Entry<String, @Nullable Object> entry = inner.next();
          return new AbstractMap.SimpleImmutableEntry<>(entry.getKey(), entry.getValue());
        }
      };
    }

    @Override
    public int size() {
      return map.size();
    }
  }
}
