package dev.chord.server;

import dev.chord.Context;
import dev.chord.DeltaRecord;
import dev.chord.SyncResult;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON shapes shared by {@code GET /contexts/{id}/sync} and the live WebSocket. Every one that
 * carries a {@code version} carries the {@code epoch} of that version's incarnation too:
 *
 * <ul>
 *   <li>{@code {"type": "full", "contextId", "version", "epoch", "insertedAt", "context": {…}}}
 *   <li>{@code {"type": "patch", "contextId", "fromVersion", "version", "epoch", "insertedAt",
 *       "delta": …}} where {@code delta} is in the requested {@link WireFormat}
 *   <li>{@code {"type": "no_change", "version", "epoch"}}
 *   <li>{@code {"type": "absent", "version": 0, "epoch": null}}: the context does not exist (live
 *       only)
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
          new DeltaRecord(
              patch.contextId(), patch.version(), patch.delta(), patch.insertedAt(), patch.epoch());
      return patch(merged, patch.fromVersion(), format);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "no_change");
    out.put("version", result.version());
    out.put("epoch", result.epoch());
    return out;
  }

  static Map<String, Object> full(Context context) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "full");
    out.put("contextId", context.contextId());
    out.put("version", context.version());
    out.put("epoch", context.epoch());
    out.put("insertedAt", context.insertedAt());
    out.put("context", context.data());
    return out;
  }

  /** A patch from {@code fromVersion} to {@code record.version()}, in the record's epoch. */
  static Map<String, Object> patch(DeltaRecord record, long fromVersion, WireFormat format) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "patch");
    out.put("contextId", record.contextId());
    out.put("fromVersion", fromVersion);
    out.put("version", record.version());
    out.put("epoch", record.epoch());
    out.put("insertedAt", record.insertedAt());
    out.put("delta", format.format(record));
    return out;
  }

  static Map<String, Object> absent() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "absent");
    out.put("version", 0L);
    out.put("epoch", null);
    return out;
  }

  /** A context as {@code GET /contexts/{id}} returns it. */
  static Map<String, Object> context(Context context) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("contextId", context.contextId());
    out.put("version", context.version());
    out.put("epoch", context.epoch());
    out.put("insertedAt", context.insertedAt());
    out.put("data", context.data());
    return out;
  }

  /** The strong entity tag of a context's state: {@code "<epoch>.<version>"}, quotes included. */
  static String etag(Context context) {
    return "\"" + context.epoch() + "." + context.version() + "\"";
  }
}
