package dev.chord.server;

/**
 * What the hub hands every connection of a context, in the one order of its subscription: a
 * committed delta ({@link SharedStep}) or a reset ({@link SharedReset}). Each is rendered once,
 * however many connections receive it.
 */
sealed interface LiveEvent permits SharedStep, SharedReset {

  /** Queues this event on {@code connection}. */
  void deliverTo(LiveConnection connection);
}
