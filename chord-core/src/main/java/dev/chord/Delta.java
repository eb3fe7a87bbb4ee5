package dev.chord;

import dev.chord.internal.Freezer;
import dev.chord.internal.FrozenMaps;
import dev.chord.internal.JsonPointer;
import dev.chord.spi.Snapshots;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * An immutable tree of changes between two versions of a context. Keys mirror the context: a key
 * holds either a leaf {@link Change} (added, modified or removed, with the values) or a nested
 * delta for a map that exists on both sides. Two deltas are equal when they hold the same changes.
 *
 * <p>The laws, for any states {@code S}, {@code T} and deltas {@code d1..dn} leading from {@code S}
 * to {@code T}:
 *
 * <ul>
 *   <li>{@code diff(S, T).applyTo(S)} equals {@code T};
 *   <li>{@code merge(d1..dn)} equals {@code diff(S, T)}: minimal, with no trace of changes that
 *       cancel out;
 *   <li>{@code d.invert().applyTo(d.applyTo(S))} equals {@code S}.
 * </ul>
 *
 * <p>Lists are values: a changed list is replaced whole. An added map is one {@code ADDED} change
 * holding the whole map, so an added empty map is a change too.
 */
public final class Delta {
  private static final Delta EMPTY = new Delta(Collections.emptyMap());

  /** Marks "no value here" (absent key), which differs from a present {@code null}. */
  private static final Object ABSENT = new Object();

  /** Each key's change, keys sorted so that {@link #changes()} comes out in a stable order. */
  private final Map<String, Node> nodes;

  /** {@code nodes} must iterate in key order and never change: see {@link #of}. */
  private Delta(Map<String, Node> nodes) {
    this.nodes = nodes;
  }

  /**
   * The delta of {@code nodes}, sealed. Most deltas change one key per level (one participant's
   * status), so a one-key level is kept as a singleton map rather than a tree: a third of the
   * memory an update allocates.
   */
  private static Delta of(@Nullable TreeMap<String, Node> nodes) {
    if (nodes == null || nodes.isEmpty()) {
      return EMPTY;
    }
    if (nodes.size() == 1) {
      Map.Entry<String, Node> only = nodes.firstEntry();
      return of(only.getKey(), only.getValue());
    }
    return new Delta(Collections.unmodifiableMap(nodes));
  }

  /** The delta of one key's change. */
  private static Delta of(String key, Node node) {
    return new Delta(Collections.singletonMap(key, node));
  }

  /** The delta with no changes. */
  public static Delta empty() {
    return EMPTY;
  }

  /**
   * What changed from {@code before} to {@code after}.
   *
   * @throws IllegalArgumentException if either map is not JSON-like (see {@link Snapshots})
   */
  public static Delta diff(Map<String, ?> before, Map<String, ?> after) {
    return diffFrozen(Snapshots.freeze(before), Snapshots.freeze(after));
  }

  /**
   * One delta with the combined effect of {@code inVersionOrder}: the deltas of consecutive
   * versions, oldest first. The result equals the {@link #diff} of the first state and the last.
   *
   * @throws IllegalArgumentException if the deltas do not chain (one changes a map that an earlier
   *     one left as a scalar, for example)
   */
  public static Delta merge(List<Delta> inVersionOrder) {
    if (inVersionOrder.isEmpty()) {
      return EMPTY;
    }
    if (inVersionOrder.size() == 1) {
      return inVersionOrder.get(0);
    }
    TreeMap<String, Object> acc = new TreeMap<>();
    for (Delta delta : inVersionOrder) {
      composeInto(acc, delta, null);
    }
    return fromMutable(acc);
  }

  /**
   * Builds a delta from its flattened changes (as {@link #changes()} returns them).
   *
   * @throws IllegalArgumentException if two changes overlap (one's path is a prefix of another's)
   *     or a value is not JSON-like
   */
  public static Delta fromChanges(Collection<Change> changes) {
    TreeMap<String, Object> root = new TreeMap<>();
    for (Change change : changes) {
      TreeMap<String, Object> level = root;
      List<String> path = change.path();
      for (int i = 0; i < path.size() - 1; i++) {
        Object existing = level.computeIfAbsent(path.get(i), k -> new TreeMap<String, Object>());
        if (!(existing instanceof TreeMap)) {
          throw overlap(path);
        }
        @SuppressWarnings("unchecked")
        TreeMap<String, Object> next = (TreeMap<String, Object>) existing;
        level = next;
      }
      Leaf leaf =
          switch (change.action()) {
            case ADDED -> new Leaf(Action.ADDED, null, Snapshots.freezeValue(change.value()));
            case MODIFIED ->
                new Leaf(
                    Action.MODIFIED,
                    Snapshots.freezeValue(change.oldValue()),
                    Snapshots.freezeValue(change.value()));
            case REMOVED ->
                new Leaf(Action.REMOVED, Snapshots.freezeValue(change.oldValue()), null);
          };
      if (level.putIfAbsent(path.get(path.size() - 1), leaf) != null) {
        throw overlap(path);
      }
    }
    return fromMutable(root);
  }

  private static IllegalArgumentException overlap(List<String> path) {
    return new IllegalArgumentException(
        "changes overlap at " + JsonPointer.of(path) + ": each key may change once");
  }

  /**
   * Applies this delta to {@code state} and returns the new state; {@code state} is not touched.
   * Added and modified keys take the new value, removed keys go; old values are not checked.
   *
   * @throws IllegalArgumentException if {@code state} is not JSON-like or a nested change meets a
   *     key that is not a map in {@code state}
   */
  public Map<String, @Nullable Object> applyTo(Map<String, ?> state) {
    Map<String, @Nullable Object> frozen =
        FrozenMaps.isFrozen(state) ? castFrozen(state) : Snapshots.freeze(state);
    return applyFrozen(frozen, null);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, @Nullable Object> castFrozen(Map<?, ?> state) {
    return (Map<String, @Nullable Object>) state;
  }

  /** The delta that undoes this one: added becomes removed, removed added, old and new swap. */
  public Delta invert() {
    if (isEmpty()) {
      return this;
    }
    TreeMap<String, Node> out = new TreeMap<>();
    nodes.forEach((key, node) -> out.put(key, node.invert()));
    return of(out);
  }

  /** Whether this delta changes nothing. */
  public boolean isEmpty() {
    return nodes.isEmpty();
  }

  /** The number of leaf changes, that is {@code changes().size()}. */
  public int changeCount() {
    int count = 0;
    for (Node node : nodes.values()) {
      count += node instanceof Nested nested ? nested.delta.changeCount() : 1;
    }
    return count;
  }

  /** Every leaf change, depth first, keys in sorted order at each level. */
  public List<Change> changes() {
    List<Change> out = new ArrayList<>();
    collect(new ArrayList<>(), out);
    return Collections.unmodifiableList(out);
  }

  private void collect(List<String> prefix, List<Change> out) {
    nodes.forEach(
        (key, node) -> {
          prefix.add(key);
          if (node instanceof Nested nested) {
            nested.delta.collect(prefix, out);
          } else {
            Leaf leaf = (Leaf) node;
            out.add(new Change(prefix, leaf.action, leaf.oldValue, leaf.value));
          }
          prefix.remove(prefix.size() - 1);
        });
  }

  /**
   * The nested form: a map mirroring the context where each changed key holds {@code {"action":
   * "added", "value": v}}, {@code {"action": "modified", "old_value": o, "value": v}} or {@code
   * {"action": "removed", "old_value": o}}, and each key with nested changes holds a map of those.
   * A leaf is told from a nested map by its {@code "action"} entry being a string: in a nested map
   * every entry is a map, whatever its key, so user keys named {@code action} are never misread.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> out = new LinkedHashMap<>();
    nodes.forEach((key, node) -> out.put(key, node.toMap()));
    return Collections.unmodifiableMap(out);
  }

  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof Delta delta && nodes.equals(delta.nodes);
  }

  @Override
  public int hashCode() {
    return nodes.hashCode();
  }

  @Override
  public String toString() {
    return "Delta" + toMap();
  }

  // ---- engine, used by Chord on frozen data ----

  /** {@link #diff} of two frozen maps. */
  static Delta diffFrozen(
      Map<String, @Nullable Object> before, Map<String, @Nullable Object> after) {
    if (before == after) {
      return EMPTY;
    }
    TreeMap<String, Node> out = null;
    int kept = 0;
    for (Map.Entry<String, @Nullable Object> entry : before.entrySet()) {
      String key = entry.getKey();
      Object afterValue = lookup(after, key);
      if (afterValue != ABSENT) {
        kept++;
      }
      Node node =
          afterValue == ABSENT
              ? new Leaf(Action.REMOVED, entry.getValue(), null)
              : diffValue(entry.getValue(), afterValue);
      if (node != null) {
        out = put(out, key, node);
      }
    }
    if (kept == after.size()) {
      // Every key of after is also in before: nothing was added, no need to walk after.
      return of(out);
    }
    for (Map.Entry<String, @Nullable Object> entry : after.entrySet()) {
      if (lookup(before, entry.getKey()) == ABSENT) {
        out = put(out, entry.getKey(), new Leaf(Action.ADDED, null, entry.getValue()));
      }
    }
    return of(out);
  }

  /**
   * Deep-merges {@code changes} into frozen {@code state}: maps merge into maps, any other value
   * replaces. {@code changes} is raw input: it is validated and frozen as it is walked (what
   * replaces a value is frozen whole), so nothing but the changed path is built, and the cost does
   * not grow with {@code state}.
   *
   * @throws IllegalArgumentException if {@code changes} is not JSON-like
   */
  static Merged deepMerge(Map<String, @Nullable Object> state, Map<?, ?> changes) {
    if (changes == null) {
      throw new IllegalArgumentException("changes must be a map, was null");
    }
    return deepMerge(state, changes, Freezer.Place.root(changes));
  }

  @SuppressWarnings("unchecked")
  private static Merged deepMerge(
      Map<String, @Nullable Object> state, Map<?, ?> changes, Freezer.Place at) {
    Map<String, @Nullable Object> result = state;
    // Most levels change one key: the first change is kept as is and a tree is made for a second.
    @Nullable String firstKey = null;
    @Nullable Node first = null;
    @Nullable TreeMap<String, Node> more = null;
    for (Map.Entry<?, ?> entry : changes.entrySet()) {
      Object rawKey = entry.getKey();
      Object current = rawKey instanceof String known ? lookup(state, known) : ABSENT;
      // A key found in state was validated when state was frozen.
      String key = current == ABSENT ? Freezer.key(rawKey, at) : (String) rawKey;
      Object incoming = entry.getValue();
      Node node;
      Object value;
      if (current instanceof Map<?, ?> && incoming instanceof Map<?, ?> raw) {
        Merged nested = deepMerge((Map<String, @Nullable Object>) current, raw, at.child(key, raw));
        if (nested.delta.isEmpty()) {
          continue;
        }
        value = nested.state;
        node = new Nested(nested.delta);
      } else {
        value = Freezer.freeze(incoming, at, key);
        if (current == ABSENT) {
          node = new Leaf(Action.ADDED, null, value);
        } else if (!Objects.equals(current, value)) {
          node = new Leaf(Action.MODIFIED, current, value);
        } else {
          continue;
        }
      }
      result = FrozenMaps.with(result, key, value);
      if (first == null) {
        firstKey = key;
        first = node;
      } else {
        if (more == null) {
          more = new TreeMap<>();
          more.put(firstKey, first);
        }
        more.put(key, node);
      }
    }
    if (first == null) {
      return new Merged(state, EMPTY);
    }
    return new Merged(result, more != null ? of(more) : of(firstKey, first));
  }

  /** The outcome of {@link #deepMerge}: the new state and what changed. */
  record Merged(Map<String, @Nullable Object> state, Delta delta) {}

  private static TreeMap<String, Node> put(
      @Nullable TreeMap<String, Node> map, String key, Node node) {
    TreeMap<String, Node> out = map == null ? new TreeMap<>() : map;
    out.put(key, node);
    return out;
  }

  private static @Nullable Object lookup(Map<String, ?> map, String key) {
    Object value = map.get(key);
    return value != null || map.containsKey(key) ? value : ABSENT;
  }

  /** The change between two present values, or {@code null} if there is none. */
  private static @Nullable Node diffValue(@Nullable Object before, @Nullable Object after) {
    if (before == after) {
      return null;
    }
    if (before instanceof Map<?, ?> b && after instanceof Map<?, ?> a) {
      Delta nested = diffFrozen(castFrozen(b), castFrozen(a));
      return nested.isEmpty() ? null : new Nested(nested);
    }
    return Objects.equals(before, after) ? null : new Leaf(Action.MODIFIED, before, after);
  }

  /** The change from {@code before} to {@code after}, either of which may be {@link #ABSENT}. */
  private static @Nullable Object transition(@Nullable Object before, @Nullable Object after) {
    if (before == ABSENT) {
      return after == ABSENT ? null : new Leaf(Action.ADDED, null, after);
    }
    if (after == ABSENT) {
      return new Leaf(Action.REMOVED, before, null);
    }
    Node node = diffValue(before, after);
    return node instanceof Nested nested ? toMutable(nested.delta) : node;
  }

  private Map<String, @Nullable Object> applyFrozen(
      Map<String, @Nullable Object> state, @Nullable Where path) {
    Map<String, @Nullable Object> result = state;
    for (Map.Entry<String, Node> entry : nodes.entrySet()) {
      String key = entry.getKey();
      Node node = entry.getValue();
      if (node instanceof Leaf leaf) {
        result =
            leaf.action == Action.REMOVED
                ? FrozenMaps.without(result, key)
                : FrozenMaps.with(result, key, leaf.value);
      } else {
        Where childPath = new Where(path, key);
        Object current = result.get(key);
        if (!(current instanceof Map<?, ?> map)) {
          throw new IllegalArgumentException(
              "delta does not apply: it changes keys inside "
                  + Where.pointer(childPath)
                  + ", which is "
                  + (current == null ? "absent or null" : "not a map")
                  + " in the state");
        }
        Map<String, @Nullable Object> child =
            FrozenMaps.isFrozen(map) ? castFrozen(map) : Snapshots.freeze(castFrozen(map));
        result = FrozenMaps.with(result, key, ((Nested) node).delta.applyFrozen(child, childPath));
      }
    }
    return result;
  }

  /**
   * A place in the tree, as a linked list of keys from the root ({@code null}): one small object
   * per level walked, turned into a JSON Pointer only for an error message.
   */
  private record Where(@Nullable Where parent, String key) {
    static String pointer(@Nullable Where where) {
      ArrayDeque<String> keys = new ArrayDeque<>();
      for (Where w = where; w != null; w = w.parent) {
        keys.addFirst(w.key);
      }
      return JsonPointer.of(keys);
    }
  }

  // ---- merge: composes into a mutable tree (TreeMap for nested, Leaf for leaves) ----

  /** Composes {@code next} into {@code acc}, which holds the combined effect of earlier deltas. */
  private static void composeInto(TreeMap<String, Object> acc, Delta next, @Nullable Where path) {
    for (Map.Entry<String, Node> entry : next.nodes.entrySet()) {
      String key = entry.getKey();
      Object earlier = acc.get(key);
      Object later = entry.getValue();
      Object combined;
      if (earlier == null) {
        combined = later instanceof Nested nested ? toMutable(nested.delta) : later;
      } else {
        combined = compose(earlier, (Node) later, new Where(path, key));
      }
      if (combined == null) {
        acc.remove(key);
      } else {
        acc.put(key, combined);
      }
    }
  }

  /**
   * Composes one key's earlier change (a {@link Leaf} or a mutable nested tree) with its later
   * change; returns {@code null} when they cancel out.
   */
  @SuppressWarnings("unchecked")
  private static @Nullable Object compose(Object earlier, Node later, Where path) {
    if (earlier instanceof TreeMap<?, ?> earlierTree) {
      TreeMap<String, Object> tree = (TreeMap<String, Object>) earlierTree;
      if (later instanceof Nested nested) {
        composeInto(tree, nested.delta, path);
        return tree.isEmpty() ? null : tree;
      }
      Leaf leaf = (Leaf) later;
      if (leaf.action == Action.ADDED) {
        throw notChained(path, "added after a change inside it");
      }
      // The map before the earlier changes: undo them on the map the later change found.
      Object before = fromMutable(tree).invert().applyFrozen(requireMap(leaf.oldValue, path), path);
      return transition(before, leaf.action == Action.REMOVED ? ABSENT : leaf.value);
    }
    Leaf first = (Leaf) earlier;
    Object before = first.action == Action.ADDED ? ABSENT : first.oldValue;
    if (later instanceof Nested nested) {
      if (first.action == Action.REMOVED) {
        throw notChained(path, "changed inside after being removed");
      }
      Object after = nested.delta.applyFrozen(requireMap(first.value, path), path);
      return transition(before, after);
    }
    Leaf second = (Leaf) later;
    if ((first.action == Action.REMOVED) != (second.action == Action.ADDED)) {
      throw notChained(path, first.action.wireName() + " then " + second.action.wireName());
    }
    return transition(before, second.action == Action.REMOVED ? ABSENT : second.value);
  }

  private static Map<String, @Nullable Object> requireMap(@Nullable Object value, Where path) {
    if (value instanceof Map<?, ?> map) {
      return castFrozen(map);
    }
    throw notChained(path, "a nested change meets a value that is not a map");
  }

  private static IllegalArgumentException notChained(Where path, String why) {
    return new IllegalArgumentException(
        "deltas do not chain at " + Where.pointer(path) + ": " + why);
  }

  private static TreeMap<String, Object> toMutable(Delta delta) {
    TreeMap<String, Object> out = new TreeMap<>();
    delta.nodes.forEach(
        (key, node) ->
            out.put(key, node instanceof Nested nested ? toMutable(nested.delta) : node));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Delta fromMutable(TreeMap<String, Object> tree) {
    if (tree.isEmpty()) {
      return EMPTY;
    }
    TreeMap<String, Node> out = new TreeMap<>();
    tree.forEach(
        (key, value) ->
            out.put(
                key,
                value instanceof TreeMap<?, ?> nested
                    ? new Nested(fromMutable((TreeMap<String, Object>) nested))
                    : (Node) value));
    return of(out);
  }

  // ---- the tree ----

  private sealed interface Node permits Leaf, Nested {
    Node invert();

    Object toMap();
  }

  private record Leaf(Action action, @Nullable Object oldValue, @Nullable Object value)
      implements Node {
    @Override
    public Node invert() {
      return switch (action) {
        case ADDED -> new Leaf(Action.REMOVED, value, null);
        case REMOVED -> new Leaf(Action.ADDED, null, oldValue);
        case MODIFIED -> new Leaf(Action.MODIFIED, value, oldValue);
      };
    }

    @Override
    public Object toMap() {
      Map<String, @Nullable Object> out = new LinkedHashMap<>();
      out.put("action", action.wireName());
      if (action != Action.ADDED) {
        out.put("old_value", oldValue);
      }
      if (action != Action.REMOVED) {
        out.put("value", value);
      }
      return Collections.unmodifiableMap(out);
    }
  }

  private record Nested(Delta delta) implements Node {
    @Override
    public Node invert() {
      return new Nested(delta.invert());
    }

    @Override
    public Object toMap() {
      return delta.toMap();
    }
  }
}
