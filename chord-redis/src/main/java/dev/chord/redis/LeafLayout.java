package dev.chord.redis;

import dev.chord.Action;
import dev.chord.Change;
import dev.chord.Delta;
import dev.chord.internal.JsonPointer;
import dev.chord.spi.Snapshots;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How a context lives in its data hash: one field per node of the tree, named by its JSON Pointer
 * (RFC 6901, {@code /participants/ann/status}). A scalar or a list is stored as its typed JSON
 * ({@link JsonCodec}); a map is stored as the marker {@code {}} plus a field for each of its
 * entries, so an empty map survives and a removed map's fields are all known.
 *
 * <p>A commit touches only what its delta names: an added or new value sets its fields, a removed
 * or old value deletes its fields. The delta's old values say exactly which fields the stored
 * context has there, because a commit is only applied at the version its delta was computed from.
 */
final class LeafLayout {
  private static final String MAP_MARKER = "{}";

  private LeafLayout() {}

  /** The hash operations of one delta: fields to delete first, then field/value pairs to set. */
  record Writes(List<String> deletes, List<String> sets) {}

  static Writes of(Delta delta) {
    List<String> deletes = new ArrayList<>();
    List<String> sets = new ArrayList<>();
    for (Change change : delta.changes()) {
      String pointer = JsonPointer.of(change.path());
      if (change.action() != Action.ADDED) {
        // A replaced scalar is simply overwritten; only a replaced map leaves fields behind.
        if (change.action() == Action.REMOVED || change.oldValue() instanceof Map) {
          collectFields(pointer, change.oldValue(), deletes, null);
        }
      }
      if (change.action() != Action.REMOVED) {
        collectFields(pointer, change.value(), null, sets);
      }
    }
    return new Writes(deletes, sets);
  }

  /** Field/value pairs that store all of {@code data}. */
  static List<String> fieldsOf(Map<String, Object> data) {
    List<String> sets = new ArrayList<>();
    data.forEach((key, value) -> collectFields("/" + JsonPointer.escape(key), value, null, sets));
    return sets;
  }

  /**
   * Adds the field names under {@code pointer} to {@code names} and/or the field/value pairs to
   * {@code pairs}.
   */
  private static void collectFields(
      String pointer, Object value, List<String> names, List<String> pairs) {
    if (names != null) {
      names.add(pointer);
    }
    if (value instanceof Map<?, ?> map) {
      if (pairs != null) {
        pairs.add(pointer);
        pairs.add(MAP_MARKER);
      }
      map.forEach(
          (key, child) ->
              collectFields(pointer + "/" + JsonPointer.escape((String) key), child, names, pairs));
    } else if (pairs != null) {
      pairs.add(pointer);
      pairs.add(JsonCodec.write(value));
    }
  }

  /** The context stored in a data hash (field → value, as HGETALL returns it), frozen. */
  static Map<String, Object> rebuild(Map<String, String> fields) {
    Map<String, Object> root = new HashMap<>();
    fields.forEach(
        (pointer, json) -> {
          List<String> path = path(pointer);
          Object value = JsonCodec.read(json);
          Map<String, Object> parent = root;
          for (int k = 0; k < path.size() - 1; k++) {
            parent = childMap(parent, path.get(k));
          }
          String last = path.get(path.size() - 1);
          if (value instanceof Map) {
            childMap(parent, last);
          } else {
            parent.put(last, value);
          }
        });
    return Snapshots.freeze(root);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> childMap(Map<String, Object> parent, String key) {
    return (Map<String, Object>) parent.computeIfAbsent(key, k -> new HashMap<String, Object>());
  }

  /** The path a field of the data hash stands for: never the root, which has no field. */
  private static List<String> path(String field) {
    if (field.isEmpty() || field.charAt(0) != '/') {
      throw new IllegalStateException("not a JSON Pointer in a Chord data hash: '" + field + "'");
    }
    return JsonPointer.parse(field);
  }
}
