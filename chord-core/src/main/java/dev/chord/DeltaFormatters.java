package dev.chord;

import dev.chord.internal.JsonPointer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The built-in {@link DeltaFormatter}s. Their output is plain maps and lists, ready for JSON. */
public final class DeltaFormatters {
  private static final DeltaFormatter<Map<String, Object>> CHORD = DeltaFormatters::chordFormat;
  private static final DeltaFormatter<List<Map<String, @Nullable Object>>> JSON_PATCH =
      DeltaFormatters::jsonPatchFormat;
  private static final DeltaFormatter<Map<String, Object>> NESTED = r -> r.delta().toMap();

  private DeltaFormatters() {}

  /**
   * The original Chord's default shape: {@code {"version": n, "changes": [{"key": [path…],
   * "action": "added|modified|removed", "value": …, "old_value": …, "context_id": …}]}}. {@code
   * value} is present for added and modified keys, {@code old_value} for modified and removed ones.
   * Changes come depth first, keys sorted.
   */
  public static DeltaFormatter<Map<String, Object>> chord() {
    return CHORD;
  }

  /**
   * An RFC 6902 JSON Patch: a list of {@code {"op": "add"|"replace"|"remove", "path": pointer,
   * "value": …}}, pointers escaped as RFC 6901 says ({@code ~0}, {@code ~1}). Applied in order to
   * the state before the delta, it gives the state after.
   */
  public static DeltaFormatter<List<Map<String, @Nullable Object>>> jsonPatch() {
    return JSON_PATCH;
  }

  /** {@link Delta#toMap()}: the delta as a nested map that mirrors the context. */
  public static DeltaFormatter<Map<String, Object>> nested() {
    return NESTED;
  }

  private static Map<String, Object> chordFormat(DeltaRecord record) {
    List<Object> changes = new ArrayList<>();
    for (Change change : record.delta().changes()) {
      Map<String, @Nullable Object> out = new LinkedHashMap<>();
      out.put("key", change.path());
      out.put("action", change.action().wireName());
      if (change.action() != Action.REMOVED) {
        out.put("value", change.value());
      }
      if (change.action() != Action.ADDED) {
        out.put("old_value", change.oldValue());
      }
      out.put("context_id", record.contextId());
      changes.add(Collections.unmodifiableMap(out));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("version", record.version());
    out.put("changes", Collections.unmodifiableList(changes));
    return Collections.unmodifiableMap(out);
  }

  private static List<Map<String, @Nullable Object>> jsonPatchFormat(DeltaRecord record) {
    List<Map<String, @Nullable Object>> ops = new ArrayList<>();
    for (Change change : record.delta().changes()) {
      Map<String, @Nullable Object> op = new LinkedHashMap<>();
      op.put(
          "op",
          switch (change.action()) {
            case ADDED -> "add";
            case MODIFIED -> "replace";
            case REMOVED -> "remove";
          });
      op.put("path", JsonPointer.of(change.path()));
      if (change.action() != Action.REMOVED) {
        op.put("value", change.value());
      }
      ops.add(Collections.unmodifiableMap(op));
    }
    return Collections.unmodifiableList(ops);
  }
}
