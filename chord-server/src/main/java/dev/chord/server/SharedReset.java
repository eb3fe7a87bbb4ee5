package dev.chord.server;

import dev.chord.Context;
import java.util.Optional;

/**
 * A change of incarnation (delete, restore, or one the subscription could not follow step by step)
 * on its way to every connection of a context: the state it resets to, the incarnation it ended,
 * and the one {@code full} or {@code absent} message that says so, rendered once from the context
 * the reset carries (no read per connection, and the message does not depend on the delta format).
 *
 * @param epoch the epoch reset to, {@code null} for "absent"
 * @param version the version reset to, 0 for "absent"
 * @param left the epoch the subscription held before the reset, {@code null} if it held "absent":
 *     for a delete, the incarnation deleted, which tells a connection holding another one that the
 *     delete is behind it
 * @param message the {@code full} or {@code absent} message
 */
record SharedReset(String epoch, long version, String left, String message) implements LiveEvent {

  /** The reset from incarnation {@code left} to {@code current} ({@code empty}: deleted). */
  static SharedReset of(Optional<Context> current, String left) {
    return current
        .map(c -> new SharedReset(c.epoch(), c.version(), left, Json.write(Messages.full(c))))
        .orElseGet(() -> new SharedReset(null, 0, left, Json.write(Messages.absent())));
  }

  @Override
  public void deliverTo(LiveConnection connection) {
    connection.reset(this);
  }
}
