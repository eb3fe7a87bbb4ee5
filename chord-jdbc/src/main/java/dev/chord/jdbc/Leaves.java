package dev.chord.jdbc;

import dev.chord.Action;
import dev.chord.Change;
import dev.chord.DeltaRecord;
import dev.chord.json.TypedJson;
import dev.chord.spi.Snapshots;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How a context lives in its leaves table: one row per node of the tree, keyed by its path written
 * as a JSON array of keys ({@code ["participants","ann","status"]}). A scalar or a list is stored
 * as its typed JSON ({@link TypedJson#jsonbSafe()}); a map is stored as the marker {@code {}} plus
 * a row for each of its entries, so an empty map survives and a removed map's rows are all known.
 *
 * <p>A commit touches only the rows its delta names: an added or new value sets its rows, a removed
 * value or a replaced map deletes its rows (the delta's old values say exactly which rows are
 * stored there, because a commit is applied only at the version its delta was computed from). That
 * is what makes a one-field update of a large context write one leaf row.
 *
 * <p>The delta message (stored in the deltas table and sent with {@code NOTIFY}) is {@code
 * {"version":3,"insertedAt":…,"changes":[{"path":["a"],"action":"modified","old":1,"value":2}]}},
 * written and read by {@link TypedJson#writeDeltaMessage} in the jsonb-safe form.
 *
 * <p>All text here is in the jsonb-safe form, byte for byte what this module has always written: a
 * path is a primary key, so the text of a path must never change for the same keys.
 */
final class Leaves {
  static final TypedJson JSON = TypedJson.jsonbSafe();
  static final String MAP_MARKER = "{}";

  private Leaves() {}

  /** What a commit of one delta writes: rows to delete first, then rows to set; its message. */
  record Writes(List<String> deletes, List<String> paths, List<String> values, String message) {}

  static Writes of(DeltaRecord record) {
    List<String> deletes = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (Change change : record.delta().changes()) {
      String path = path(change.path());
      boolean leavesRows =
          change.action() == Action.REMOVED || change.oldValue() instanceof Map<?, ?>;
      if (leavesRows) {
        names(path, change.oldValue(), deletes);
      }
      if (change.action() != Action.REMOVED) {
        rows(path, change.value(), paths, values);
      }
    }
    return new Writes(deletes, paths, values, JSON.writeDeltaMessage(record));
  }

  /** The rows that store all of {@code data}, as two parallel lists. */
  static void rowsOf(Map<String, ?> data, List<String> paths, List<String> values) {
    for (Map.Entry<String, ?> entry : data.entrySet()) {
      rows(child("[", entry.getKey()) + "]", entry.getValue(), paths, values);
    }
  }

  /** The path text of {@code keys}. */
  static String path(List<String> keys) {
    return JSON.write(keys);
  }

  /** The path of {@code key} inside the node at {@code path} (which ends with {@code ]}). */
  private static String childOf(String path, String key) {
    return child(path.substring(0, path.length() - 1) + (path.length() > 2 ? "," : ""), key) + "]";
  }

  private static String child(String open, String key) {
    return open + JSON.write(key);
  }

  private static void rows(
      String path, @Nullable Object value, List<String> paths, List<String> values) {
    if (value instanceof Map<?, ?> map) {
      paths.add(path);
      values.add(MAP_MARKER);
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        rows(childOf(path, (String) entry.getKey()), entry.getValue(), paths, values);
      }
    } else {
      paths.add(path);
      values.add(JSON.write(value));
    }
  }

  private static void names(String path, @Nullable Object value, List<String> out) {
    out.add(path);
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        names(childOf(path, (String) entry.getKey()), entry.getValue(), out);
      }
    }
  }

  /** Builds the context stored in rows of (path, value), in any order; frozen. */
  static Map<String, @Nullable Object> rebuild(List<String> paths, List<String> values) {
    Map<String, Object> root = new HashMap<>();
    for (int i = 0; i < paths.size(); i++) {
      List<String> path = keys(paths.get(i));
      if (path.isEmpty()) {
        throw new IllegalStateException("an empty path in a Chord leaves table");
      }
      Map<String, Object> parent = root;
      for (int k = 0; k < path.size() - 1; k++) {
        parent = childMap(parent, path.get(k));
      }
      String last = path.get(path.size() - 1);
      String json = values.get(i);
      if (json.equals(MAP_MARKER)) {
        childMap(parent, last);
      } else {
        parent.put(last, JSON.read(json));
      }
    }
    return Snapshots.freeze(root);
  }

  /** The keys of a stored path, a JSON array of strings. */
  private static List<String> keys(String path) {
    if (!(JSON.read(path) instanceof List<?> list)) {
      throw new IllegalStateException("a leaf path must be a JSON array: " + path);
    }
    List<String> keys = new ArrayList<>(list.size());
    for (Object key : list) {
      if (!(key instanceof String s)) {
        throw new IllegalStateException("a leaf path must hold strings only: " + path);
      }
      keys.add(s);
    }
    return keys;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> childMap(Map<String, Object> parent, String key) {
    Object existing = parent.get(key);
    if (existing instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    Map<String, Object> created = new HashMap<>();
    parent.put(key, created);
    return created;
  }
}
