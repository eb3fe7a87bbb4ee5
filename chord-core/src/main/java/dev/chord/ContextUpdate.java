package dev.chord;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The result of {@link Chord#setContext} or {@link Chord#updateContext}.
 *
 * @param context the context after the call (the current one when nothing changed), with its epoch
 * @param delta what changed; empty when nothing changed
 * @param changed {@code false} when the call changed nothing and nothing was stored
 */
public record ContextUpdate(Context context, Delta delta, boolean changed) {
  public ContextUpdate {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(delta, "delta");
  }

  /** The stored delta record of this update, or {@code null} when nothing changed. */
  public @Nullable DeltaRecord deltaRecord() {
    return changed
        ? new DeltaRecord(
            context.contextId(), context.version(), delta, context.insertedAt(), context.epoch())
        : null;
  }
}
