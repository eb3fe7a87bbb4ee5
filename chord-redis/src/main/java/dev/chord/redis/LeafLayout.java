package dev.chord.redis;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.chord.Action;
import dev.chord.Change;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.internal.JsonPointer;
import dev.chord.spi.Snapshots;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * How a context lives in its data hash: one field per node of the tree, named by its JSON Pointer
 * (RFC 6901, {@code /participants/ann/status}). A scalar or a list is stored as its typed JSON
 * ({@link dev.chord.json.TypedJson#standard()}); a map is stored as the marker {@code {}} plus a
 * field for each of its entries, so an empty map survives and a removed map's fields are all known.
 *
 * <p>A commit touches only what its delta names: an added or new value sets its fields, a removed
 * or old value deletes its fields. The delta's old values say exactly which fields the stored
 * context has there, because a commit is only applied at the version its delta was computed from.
 *
 * <p>One walk over a delta yields all a commit sends: it collects each value's fields and writes
 * each leaf's JSON once, for its field; the delta message then takes those JSONs raw.
 *
 * <p>Size: a node's copy of a context is weighed by the {@link #size} of its stored form: the
 * characters of its fields' names and values (what a full read transfers) plus {@link #FIELD_BYTES}
 * per field. That is close to the heap a rebuilt copy takes (measured with JOL on contexts of 10 to
 * 10,000 participants: within 1%). It is exact along a history: the size after a delta is the size
 * before it plus {@link Writes#sizeChange}, the same as the size computed afresh.
 */
final class LeafLayout {
  /**
   * Bytes a field takes in a node's copy beyond its characters: the map entry, the key and value
   * objects (JOL, 64-bit JVM with compressed pointers: about 72).
   */
  static final int FIELD_BYTES = 72;

  private static final String MAP_MARKER = "{}";

  private LeafLayout() {}

  /**
   * What a commit of one delta sends: the hash operations (fields to delete first, then field/value
   * pairs to set) and the delta message for the log and the channel; and how the stored form's
   * {@link #size} changes with it.
   */
  record Writes(List<String> deletes, List<String> sets, String message, long sizeChange) {}

  static Writes of(DeltaRecord record) {
    List<String> deletes = new ArrayList<>();
    List<String> sets = new ArrayList<>();
    List<String> leaves = new ArrayList<>();
    long sizeChange = 0;
    for (Change change : record.delta().changes()) {
      if (change.action() != Action.ADDED) {
        sizeChange += walkChange(change, true, deletes, null, leaves);
      }
      if (change.action() != Action.REMOVED) {
        sizeChange += walkChange(change, false, null, sets, leaves);
      }
    }
    // The message is written after the walk, from the leaves' JSON the walk wrote, in the same
    // order: writing a leaf while the message's generator is open would open a second generator on
    // this thread, which finds the thread's recycled buffers taken and allocates its own.
    Iterator<String> written = leaves.iterator();
    String message =
        JsonCodec.VALUES.writeDeltaMessage(
            record,
            (g, change, old) -> writeValue(g, old ? change.oldValue() : change.value(), written));
    return new Writes(deletes, sets, message, sizeChange);
  }

  /** Writes {@code value} to {@code g}, each leaf as the next of {@code leaves}, raw. */
  private static void writeValue(JsonGenerator g, Object value, Iterator<String> leaves)
      throws IOException {
    if (value instanceof Map<?, ?> map) {
      JsonCodec.VALUES.writeMapStart(g, map);
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        g.writeFieldName((String) entry.getKey());
        writeValue(g, entry.getValue(), leaves);
      }
      JsonCodec.VALUES.writeMapEnd(g, map);
    } else {
      g.writeRawValue(leaves.next());
    }
  }

  /** How the stored form's {@link #size} changes with {@code delta}. */
  static long sizeChange(Delta delta) {
    long change = 0;
    for (Change c : delta.changes()) {
      if (c.action() != Action.ADDED) {
        change += walkChange(c, true, null, null, null);
      }
      if (c.action() != Action.REMOVED) {
        change += walkChange(c, false, null, null, null);
      }
    }
    return change;
  }

  /**
   * Walks the old or the new value of {@code change}: adds the fields it deletes to {@code deletes}
   * or those it sets to {@code sets}, and the JSON of each of its leaves to {@code leaves} (each
   * may be {@code null}); returns the size it removes (negative) or adds.
   */
  private static long walkChange(
      Change change, boolean old, List<String> deletes, List<String> sets, List<String> leaves) {
    String pointer = JsonPointer.of(change.path());
    if (!old) {
      return walk(pointer, change.value(), null, sets, leaves);
    }
    // A replaced scalar is simply overwritten: only a removed value or a replaced map leaves
    // fields behind.
    boolean remains = change.action() == Action.REMOVED || change.oldValue() instanceof Map;
    return -walk(pointer, change.oldValue(), remains ? deletes : null, null, leaves);
  }

  /** Field/value pairs that store all of {@code data}. */
  static List<String> fieldsOf(Map<String, Object> data) {
    List<String> sets = new ArrayList<>();
    for (Map.Entry<String, Object> entry : data.entrySet()) {
      walk("/" + JsonPointer.escape(entry.getKey()), entry.getValue(), null, sets, null);
    }
    return sets;
  }

  /**
   * Adds the field names under {@code pointer} to {@code names}, the field/value pairs to {@code
   * pairs} and the JSON of each leaf, in walk order, to {@code leaves}; each may be {@code null}.
   * Returns the size of those fields.
   */
  private static long walk(
      String pointer, Object value, List<String> names, List<String> pairs, List<String> leaves) {
    if (names != null) {
      names.add(pointer);
    }
    if (value instanceof Map<?, ?> map) {
      long size = size(pointer, MAP_MARKER);
      if (pairs != null) {
        pairs.add(pointer);
        pairs.add(MAP_MARKER);
      }
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        String key = (String) entry.getKey();
        size +=
            walk(pointer + "/" + JsonPointer.escape(key), entry.getValue(), names, pairs, leaves);
      }
      return size;
    }
    String json = JsonCodec.leaf(value);
    if (pairs != null) {
      pairs.add(pointer);
      pairs.add(json);
    }
    if (leaves != null) {
      leaves.add(json);
    }
    return size(pointer, json);
  }

  /** The size of a stored form given as field/value pairs, as {@link #fieldsOf} returns them. */
  static long size(List<String> pairs) {
    long size = 0;
    for (int i = 0; i + 1 < pairs.size(); i += 2) {
      size += size(pairs.get(i), pairs.get(i + 1));
    }
    return size;
  }

  /** The size of a stored form given as a data hash (field → value, as HGETALL returns it). */
  static long size(Map<String, String> fields) {
    long size = 0;
    for (Map.Entry<String, String> field : fields.entrySet()) {
      size += size(field.getKey(), field.getValue());
    }
    return size;
  }

  private static long size(String field, String json) {
    return FIELD_BYTES + field.length() + json.length();
  }

  /** The context stored in a data hash (field → value, as HGETALL returns it), frozen. */
  static Map<String, Object> rebuild(Map<String, String> fields) {
    Map<String, Object> root = new HashMap<>();
    fields.forEach(
        (pointer, json) -> {
          List<String> path = path(pointer);
          Object value = JsonCodec.VALUES.read(json);
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
