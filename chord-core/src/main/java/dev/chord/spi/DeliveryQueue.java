package dev.chord.spi;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * One context's messages on their way to its {@link Feed}s, for a backend that receives them on a
 * thread that must not run user code (a client library's event loop, a LISTEN loop): {@link #offer}
 * only queues, and a task on a shared executor delivers them.
 *
 * <p>The queue is an actor: at most one task drains it at a time, in the order offered, so each
 * feed gets one context's messages one at a time and in order. A task hands its thread back after
 * {@code batch} messages and queues itself again, so a busy context takes turns with the others; a
 * feed that blocks holds one thread of the executor, the other contexts go on with the rest.
 *
 * <p>Memory: at most {@code maxQueued} messages wait. One more, and what waits is dropped for the
 * single {@code overflow} message (for a backend: a reset without epoch, "messages may be missing",
 * after which Chord re-reads the context), so nothing is lost but the steps in between.
 *
 * @param <T> the messages
 */
public final class DeliveryQueue<T> {
  private final Executor executor;
  private final int maxQueued;
  private final int batch;
  private final T overflow;
  private final Consumer<T> deliver;
  private final Runnable onOverflow;
  private final Runnable task = this::drain;

  /** Messages, oldest first; guarded by this. */
  private final ArrayDeque<T> queue = new ArrayDeque<>();

  /** Whether a task of this queue is queued or running; guarded by this. */
  private boolean scheduled;

  /**
   * @param executor runs the delivery tasks (shared by the queues of many contexts)
   * @param maxQueued the most messages that may wait
   * @param batch the most messages one task delivers before it lets other queues go first
   * @param overflow what replaces the waiting messages when there are too many
   * @param deliver hands one message to the feeds; it is never called concurrently with itself
   * @param onOverflow told (on the offering thread) each time messages were dropped, e.g. to log
   */
  public DeliveryQueue(
      Executor executor,
      int maxQueued,
      int batch,
      T overflow,
      Consumer<T> deliver,
      Runnable onOverflow) {
    if (maxQueued < 1 || batch < 1) {
      throw new IllegalArgumentException("maxQueued and batch must be positive");
    }
    this.executor = Objects.requireNonNull(executor, "executor");
    this.maxQueued = maxQueued;
    this.batch = batch;
    this.overflow = Objects.requireNonNull(overflow, "overflow");
    this.deliver = Objects.requireNonNull(deliver, "deliver");
    this.onOverflow = Objects.requireNonNull(onOverflow, "onOverflow");
  }

  /**
   * Queues {@code message}, and a task to deliver it unless one is on its way. Never blocks; a
   * closed executor drops the message (nobody listens any more).
   */
  public void offer(T message) {
    Objects.requireNonNull(message, "message");
    boolean dropped;
    boolean schedule;
    synchronized (this) {
      dropped = queue.size() >= maxQueued;
      if (dropped) {
        queue.clear();
        queue.addLast(overflow);
      } else {
        queue.addLast(message);
      }
      schedule = !scheduled;
      scheduled = true;
    }
    if (dropped) {
      onOverflow.run();
    }
    if (schedule) {
      schedule();
    }
  }

  private void drain() {
    boolean drained = false;
    try {
      for (int i = 0; i < batch; i++) {
        T message;
        synchronized (this) {
          message = queue.pollFirst();
          if (message == null) {
            scheduled = false;
            drained = true;
            return;
          }
        }
        deliver.accept(message);
      }
    } finally {
      if (!drained) {
        continueLater();
      }
    }
  }

  /** After a batch (or a delivery's Error): to the back of the line if more waits. */
  private void continueLater() {
    synchronized (this) {
      if (queue.isEmpty()) {
        scheduled = false;
        return;
      }
    }
    schedule();
  }

  private void schedule() {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException closing) {
      synchronized (this) {
        queue.clear();
        scheduled = false;
      }
    }
  }
}
