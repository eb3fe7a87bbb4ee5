package dev.chord.bench;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The serialized owner of one room, as the original's GenServer is: one action at a time. The
 * arriving caller takes the room's lock and performs its action on its own thread, so there is no
 * hand-off to another thread and back per action (which is what a single-threaded executor, like a
 * process mailbox, costs).
 */
final class RoomOwner {
  private final ReentrantLock lock = new ReentrantLock();

  /** Performs {@code action} while no other action of this room runs. */
  <T> T run(Supplier<T> action) {
    lock.lock();
    try {
      return action.get();
    } finally {
      lock.unlock();
    }
  }
}
