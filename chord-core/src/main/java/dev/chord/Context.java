package dev.chord;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One version of a context: its id, its version (1 for a new context, +1 per change), its data, the
 * time of its last change and the epoch of its incarnation.
 *
 * <p>{@code data} handed out by {@link Chord} is an immutable snapshot: it never changes afterwards
 * and every nested map and list in it is unmodifiable.
 *
 * <p>The pair ({@code epoch}, {@code version}) names exactly one state of a context: version
 * numbers repeat when an id is deleted and created again or when a context is restored, epochs do
 * not. Every context {@code Chord} hands out has a non-null epoch.
 *
 * @param contextId the context id
 * @param version the version, at least 1
 * @param data the JSON-like state of the context (its values may be {@code null}: JSON null)
 * @param insertedAt time of the last change, in the {@link Chord.Builder#timeUnit configured unit}
 *     since the epoch of the clock
 * @param epoch the incarnation of the context: 8 to 22 characters of {@code [A-Za-z0-9_-]}, drawn
 *     at random when the context is created or restored and unchanged by every set and update;
 *     {@code null} only for a context not stored yet (what a {@link ContextProvider} may return)
 */
public record Context(
    String contextId,
    long version,
    Map<String, @Nullable Object> data,
    long insertedAt,
    @Nullable String epoch) {
  public Context {
    Objects.requireNonNull(contextId, "contextId");
    Objects.requireNonNull(data, "data");
    if (epoch != null) {
      Epochs.check(epoch);
    }
  }

  /** A context without an epoch yet: Chord assigns a fresh one when it stores it. */
  public Context(
      String contextId, long version, Map<String, @Nullable Object> data, long insertedAt) {
    this(contextId, version, data, insertedAt, null);
  }
}
