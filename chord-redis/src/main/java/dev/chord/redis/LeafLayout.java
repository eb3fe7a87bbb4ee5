package dev.chord.redis;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.chord.Action;
import dev.chord.DeltaRecord;
import dev.chord.internal.JsonPointer;
import dev.chord.spi.Snapshots;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 *
 * <p>One walk over a delta yields all a commit sends: while the delta message is written, each
 * value's fields are collected and each leaf's JSON, written once, goes both into its field and
 * (raw) into the message.
 */
final class LeafLayout {
  private static final String MAP_MARKER = "{}";

  private LeafLayout() {}

  /**
   * What a commit of one delta sends: the hash operations (fields to delete first, then
   * field/value pairs to set) and the delta message for the log and the channel.
   */
  record Writes(List<String> deletes, List<String> sets, String message) {}

  static Writes of(DeltaRecord record) {
    List<String> deletes = new ArrayList<>();
    List<String> sets = new ArrayList<>();
    String message =
        JsonCodec.deltaMessage(
            record,
            (g, change, old) -> {
              String pointer = JsonPointer.of(change.path());
              if (!old) {
                walk(g, pointer, change.value(), null, sets);
              } else if (change.action() == Action.REMOVED || change.oldValue() instanceof Map) {
                walk(g, pointer, change.oldValue(), deletes, null);
              } else {
                // A replaced scalar is simply overwritten: it leaves no field behind.
                JsonCodec.writeValue(g, change.oldValue());
              }
            });
    return new Writes(deletes, sets, message);
  }

  /** Field/value pairs that store all of {@code data}. */
  static List<String> fieldsOf(Map<String, Object> data) {
    List<String> sets = new ArrayList<>();
    for (Map.Entry<String, Object> entry : data.entrySet()) {
      try {
        walk(null, "/" + JsonPointer.escape(entry.getKey()), entry.getValue(), null, sets);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return sets;
  }

  /**
   * Adds the field names under {@code pointer} to {@code names} and/or the field/value pairs to
   * {@code pairs}, and writes {@code value} to {@code g}; each may be {@code null}.
   */
  private static void walk(
      JsonGenerator g, String pointer, Object value, List<String> names, List<String> pairs)
      throws IOException {
    if (names != null) {
      names.add(pointer);
    }
    if (value instanceof Map<?, ?> map) {
      if (pairs != null) {
        pairs.add(pointer);
        pairs.add(MAP_MARKER);
      }
      if (g != null) {
        JsonCodec.writeMapStart(g, map);
      }
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        String key = (String) entry.getKey();
        if (g != null) {
          g.writeFieldName(key);
        }
        walk(g, pointer + "/" + JsonPointer.escape(key), entry.getValue(), names, pairs);
      }
      if (g != null) {
        JsonCodec.writeMapEnd(g, map);
      }
    } else if (pairs != null) {
      String json = JsonCodec.write(value);
      pairs.add(pointer);
      pairs.add(json);
      if (g != null) {
        g.writeRawValue(json);
      }
    } else if (g != null) {
      JsonCodec.writeValue(g, value);
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
