package dev.chord.internal;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.organicdesign.fp.collections.ImMap;
import org.organicdesign.fp.collections.MutMap;
import org.organicdesign.fp.collections.PersistentHashMap;

/**
 * The one place that knows how frozen maps are made: persistent hash array mapped tries (Paguro's
 * {@link PersistentHashMap}) behind a small {@link Map} view of our own. An update of one key
 * copies only the path to it (O(log n)), so a context of any size is updated in near-constant time,
 * and every earlier version stays intact and shareable as a snapshot.
 *
 * <p>The view ({@link FrozenMap}) is ours so that a frozen map is recognised by its type (and never
 * copied again), prints like any Java map, and exposes no mutator: every one throws {@link
 * UnsupportedOperationException}.
 */
public final class FrozenMaps {
  private static final FrozenMap EMPTY = new FrozenMap(PersistentHashMap.empty());

  private FrozenMaps() {}

  /** The empty frozen map. */
  public static Map<String, Object> empty() {
    return EMPTY;
  }

  /** Whether {@code map} is a frozen map made here (so it can be shared, not copied). */
  public static boolean isFrozen(Object map) {
    return map instanceof FrozenMap;
  }

  /** A copy of frozen {@code map} with {@code key} set to {@code value}. */
  public static Map<String, Object> with(Map<String, Object> map, String key, Object value) {
    return new FrozenMap(frozen(map).trie.assoc(key, value));
  }

  /** A copy of frozen {@code map} without {@code key}. */
  public static Map<String, Object> without(Map<String, Object> map, String key) {
    FrozenMap frozen = frozen(map);
    return frozen.trie.containsKey(key) ? new FrozenMap(frozen.trie.without(key)) : frozen;
  }

  /**
   * A builder for a new frozen map of about {@code expectedSize} entries, frozen with {@link
   * Builder#build}.
   */
  public static Builder builder(int expectedSize) {
    return new Builder(expectedSize);
  }

  private static FrozenMap frozen(Map<String, Object> map) {
    if (map instanceof FrozenMap frozen) {
      return frozen;
    }
    throw new IllegalStateException("not a frozen map: " + map.getClass().getName());
  }

  /**
   * Fills one frozen map. Single use, one thread. A small map is built by persistent inserts (a few
   * tiny node copies); a large one in place through a transient, which saves copying per insert
   * but costs a fixed set-up that small maps — most of what an update carries — cannot repay.
   */
  public static final class Builder {
    private static final int TRANSIENT_FROM = 9;

    private ImMap<String, Object> small;
    private MutMap<String, Object> large;

    private Builder(int expectedSize) {
      if (expectedSize < TRANSIENT_FROM) {
        small = PersistentHashMap.empty();
      } else {
        large = PersistentHashMap.emptyMutable();
      }
    }

    public Builder put(String key, Object value) {
      if (small != null) {
        small = small.assoc(key, value);
      } else {
        large = large.assoc(key, value);
      }
      return this;
    }

    public Map<String, Object> build() {
      ImMap<String, Object> trie = small != null ? small : large.immutable();
      return trie.isEmpty() ? EMPTY : new FrozenMap(trie);
    }
  }

  /**
   * An unmodifiable {@link Map} view of one persistent trie. Every mutator throws, even one that
   * would change nothing (removing an absent key, clearing an empty map), as {@link
   * java.util.Collections#unmodifiableMap} does: AbstractMap's defaults only throw once they reach
   * an element, which would let such calls pass silently.
   */
  private static final class FrozenMap extends AbstractMap<String, Object> {
    private final ImMap<String, Object> trie;
    private Set<Entry<String, Object>> entries;
    private Set<String> keys;
    private Collection<Object> values;

    FrozenMap(ImMap<String, Object> trie) {
      this.trie = trie;
    }

    @Override
    public int size() {
      return trie.size();
    }

    @Override
    public Object get(Object key) {
      return trie.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
      return trie.containsKey(key);
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
      Set<Entry<String, Object>> view = entries;
      if (view == null) {
        view = Collections.unmodifiableSet(new EntryView(trie));
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
    public Collection<Object> values() {
      Collection<Object> view = values;
      if (view == null) {
        view = Collections.unmodifiableCollection(super.values());
        values = view;
      }
      return view;
    }

    @Override
    public Object put(String key, Object value) {
      throw refused();
    }

    @Override
    public void putAll(Map<? extends String, ?> map) {
      throw refused();
    }

    @Override
    public Object remove(Object key) {
      throw refused();
    }

    @Override
    public boolean remove(Object key, Object value) {
      throw refused();
    }

    @Override
    public void clear() {
      throw refused();
    }

    @Override
    public Object putIfAbsent(String key, Object value) {
      throw refused();
    }

    @Override
    public boolean replace(String key, Object oldValue, Object newValue) {
      throw refused();
    }

    @Override
    public Object replace(String key, Object value) {
      throw refused();
    }

    @Override
    public void replaceAll(BiFunction<? super String, ? super Object, ?> function) {
      throw refused();
    }

    @Override
    public Object computeIfAbsent(String key, Function<? super String, ?> function) {
      throw refused();
    }

    @Override
    public Object computeIfPresent(
        String key, BiFunction<? super String, ? super Object, ?> function) {
      throw refused();
    }

    @Override
    public Object compute(String key, BiFunction<? super String, ? super Object, ?> function) {
      throw refused();
    }

    @Override
    public Object merge(
        String key, Object value, BiFunction<? super Object, ? super Object, ?> function) {
      throw refused();
    }

    private static UnsupportedOperationException refused() {
      return new UnsupportedOperationException("a context snapshot cannot be changed");
    }
  }

  /** The entries of a trie, as immutable entries. */
  private static final class EntryView extends AbstractSet<Map.Entry<String, Object>> {
    private final ImMap<String, Object> trie;

    EntryView(ImMap<String, Object> trie) {
      this.trie = trie;
    }

    @Override
    public Iterator<Map.Entry<String, Object>> iterator() {
      Iterator<? extends Map.Entry<String, Object>> inner = trie.iterator();
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return inner.hasNext();
        }

        @Override
        public Map.Entry<String, Object> next() {
          Map.Entry<String, Object> entry = inner.next();
          return new AbstractMap.SimpleImmutableEntry<>(entry.getKey(), entry.getValue());
        }
      };
    }

    @Override
    public int size() {
      return trie.size();
    }
  }
}
