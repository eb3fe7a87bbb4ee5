package dev.chord;

import java.util.Map;
import java.util.Objects;

/**
 * One version of a context: its id, its version (1 for a new context, +1 per change), its data and
 * the time of its last change.
 *
 * <p>{@code data} handed out by {@link Chord} is an immutable snapshot: it never changes afterwards
 * and every nested map and list in it is unmodifiable.
 *
 * @param contextId the context id
 * @param version the version, at least 1
 * @param data the JSON-like state of the context
 * @param insertedAt time of the last change, in the {@link Chord.Builder#timeUnit configured unit}
 *     since the epoch
 */
public record Context(String contextId, long version, Map<String, Object> data, long insertedAt) {
  public Context {
    Objects.requireNonNull(contextId, "contextId");
    Objects.requireNonNull(data, "data");
  }
}
