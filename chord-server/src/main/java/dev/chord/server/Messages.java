package dev.chord.server;

import dev.chord.Context;
import dev.chord.DeltaRecord;
import dev.chord.SyncResult;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON shapes shared by {@code GET /contexts/{id}/sync} and the live WebSocket:
 *
 * <ul>
 *   <li>{@code {"type": "full", "contextId", "version", "insertedAt", "context": {…}}}
 *   <li>{@code {"type": "patch", "contextId", "fromVersion", "version", "insertedAt", "delta": …}}
 *       where {@code delta} is in the requested {@link WireFormat}
 *   <li>{@code {"type": "no_change", "version"}}
 *   <li>{@code {"type": "absent", "version": 0}}: the context does not exist (live only)
 * </ul>
 */
final class Messages {
  private Messages() {}

  static Map<String, Object> sync(SyncResult result, WireFormat format) {
    if (result instanceof SyncResult.Full full) {
      return full(full.context());
    }
    if (result instanceof SyncResult.Patch patch) {
      DeltaRecord merged =
          new DeltaRecord(patch.contextId(), patch.version(), patch.delta(), patch.insertedAt());
      return patch(merged, patch.fromVersion(), format);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "no_change");
    out.put("version", result.version());
    return out;
  }

  static Map<String, Object> full(Context context) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "full");
    out.put("contextId", context.contextId());
    out.put("version", context.version());
    out.put("insertedAt", context.insertedAt());
    out.put("context", context.data());
    return out;
  }

  /** A patch from {@code fromVersion} to {@code record.version()}. */
  static Map<String, Object> patch(DeltaRecord record, long fromVersion, WireFormat format) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "patch");
    out.put("contextId", record.contextId());
    out.put("fromVersion", fromVersion);
    out.put("version", record.version());
    out.put("insertedAt", record.insertedAt());
    out.put("delta", format.format(record));
    return out;
  }

  static Map<String, Object> absent() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "absent");
    out.put("version", 0L);
    return out;
  }

  /** A context as {@code GET /contexts/{id}} returns it. */
  static Map<String, Object> context(Context context) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("contextId", context.contextId());
    out.put("version", context.version());
    out.put("insertedAt", context.insertedAt());
    out.put("data", context.data());
    return out;
  }
}
