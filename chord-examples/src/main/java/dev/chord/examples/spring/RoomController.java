package dev.chord.examples.spring;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.ContextNotFoundException;
import dev.chord.ContextUpdate;
import dev.chord.SyncResult;
import dev.chord.VersionConflictException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Rooms as Chord contexts, one per id:
 *
 * <ul>
 *   <li>{@code PUT /rooms/{id}}: the body (a JSON object) replaces the room, creating it.
 *   <li>{@code GET /rooms/{id}}: the room, with {@code ETag: "<epoch>.<version>"}.
 *   <li>{@code PATCH /rooms/{id}}: deep-merges the body into the room; with {@code If-Match:
 *       "<epoch>.<version>"} only if the room is still at that state (else 412).
 *   <li>{@code GET /rooms/{id}/sync?version=&epoch=}: what a client at that state needs: {@code
 *       full} (the room), {@code patch} (one delta) or {@code no_change}.
 * </ul>
 *
 * Errors are JSON {@code {"error": "<code>", "message": "..."}}: 400 {@code bad_request}, 404
 * {@code not_found}, 412 {@code version_conflict}.
 */
@RestController
@RequestMapping("/rooms")
class RoomController {
  private final Chord chord;

  RoomController(Chord chord) {
    this.chord = chord;
  }

  @PutMapping("/{id}")
  ResponseEntity<Map<String, Object>> put(
      @PathVariable String id, @RequestBody Map<String, Object> room) {
    return withTag(chord.setContext(id, room).context());
  }

  @GetMapping("/{id}")
  ResponseEntity<Map<String, Object>> get(@PathVariable String id) {
    return withTag(chord.getContext(id).orElseThrow(() -> new ContextNotFoundException(id)));
  }

  @PatchMapping("/{id}")
  ResponseEntity<Map<String, Object>> patch(
      @PathVariable String id,
      @RequestBody Map<String, Object> changes,
      @RequestHeader(name = "If-Match", required = false) @Nullable String ifMatch) {
    ContextUpdate update;
    if (ifMatch == null) {
      update = chord.updateContext(id, changes);
    } else {
      Tag expected = Tag.parse(ifMatch);
      update = chord.updateContext(id, changes, expected.version(), expected.epoch());
    }
    return withTag(update.context());
  }

  @GetMapping("/{id}/sync")
  Map<String, Object> sync(
      @PathVariable String id,
      @RequestParam(required = false) @Nullable Long version,
      @RequestParam(required = false) @Nullable String epoch) {
    SyncResult result =
        version == null ? chord.syncContext(id, null) : chord.syncContext(id, version, epoch);
    Map<String, Object> out = new LinkedHashMap<>();
    if (result instanceof SyncResult.Full full) {
      out.put("type", "full");
      out.putAll(room(full.context()));
    } else if (result instanceof SyncResult.Patch patch) {
      out.put("type", "patch");
      out.put("fromVersion", patch.fromVersion());
      out.put("version", patch.version());
      out.put("epoch", patch.epoch());
      out.put("delta", patch.delta().toMap());
    } else {
      out.put("type", "no_change");
      out.put("version", result.version());
      out.put("epoch", result.epoch());
    }
    return out;
  }

  @ExceptionHandler(ContextNotFoundException.class)
  ResponseEntity<Map<String, String>> notFound(ContextNotFoundException e) {
    return error(HttpStatus.NOT_FOUND, "not_found", e.getMessage());
  }

  @ExceptionHandler(VersionConflictException.class)
  ResponseEntity<Map<String, String>> conflict(VersionConflictException e) {
    return error(HttpStatus.PRECONDITION_FAILED, "version_conflict", e.getMessage());
  }

  @ExceptionHandler(IllegalArgumentException.class)
  ResponseEntity<Map<String, String>> badRequest(IllegalArgumentException e) {
    return error(HttpStatus.BAD_REQUEST, "bad_request", e.getMessage());
  }

  private static ResponseEntity<Map<String, String>> error(
      HttpStatus status, String code, @Nullable String message) {
    return ResponseEntity.status(status)
        .body(Map.of("error", code, "message", message == null ? code : message));
  }

  private static ResponseEntity<Map<String, Object>> withTag(Context context) {
    return ResponseEntity.ok()
        .eTag(new Tag(context.epoch(), context.version()).toString())
        .body(room(context));
  }

  private static Map<String, Object> room(Context context) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", context.contextId());
    out.put("version", context.version());
    out.put("epoch", context.epoch());
    out.put("data", context.data());
    return out;
  }

  /** An entity tag {@code "<epoch>.<version>"}, as chord-server's. */
  record Tag(@Nullable String epoch, long version) {
    static Tag parse(String header) {
      String value = header.strip();
      int dot = value.lastIndexOf('.');
      if (value.length() < 2 || !value.startsWith("\"") || !value.endsWith("\"") || dot < 0) {
        throw new IllegalArgumentException("If-Match must be \"<epoch>.<version>\", was " + header);
      }
      try {
        return new Tag(
            value.substring(1, dot), Long.parseLong(value.substring(dot + 1, value.length() - 1)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "If-Match must be \"<epoch>.<version>\", was " + header, e);
      }
    }

    @Override
    public String toString() {
      return "\"" + epoch + "." + version + "\"";
    }
  }
}
