package dev.chord.server;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One WebSocket client following one context: turns the context's delta feed into messages the
 * client can apply one after the other, at the pace the client reads.
 *
 * <p>Concurrency and the no-hole rule: all state is guarded by {@code this}. At most one message is
 * in flight ({@code sending}); the next one is chosen when the previous one is written. {@code
 * lastSent} is the version the client has once everything handed to the socket arrives, and a patch
 * is only ever sent if its {@code fromVersion} equals it; anything else (a reset after a delete or
 * restore, a merge that straddles a full resync) becomes a full context instead. So the client's
 * versions always chain, whatever happens to the queue.
 *
 * <p>Memory bound: the queue holds at most {@code queueLimit} items. When a new delta would exceed
 * that, every queued delta is merged into one ({@link Delta#merge}, which yields exactly the diff
 * of the whole span); if the merge has more than {@code maxMergedChanges} changes the queue is
 * dropped and one full context (read when it is sent) takes its place.
 */
final class LiveConnection {
  /** Where messages go: a WebSocket session, or a test double. */
  interface Sink {
    /** Sends {@code text}; calls exactly one of {@code done} or {@code failed} when written. */
    void send(String text, Runnable done, Consumer<Throwable> failed);

    /** Closes the connection with a WebSocket close code. */
    void close(int code, String reason);
  }

  /** A queued patch: one committed delta, or several merged. */
  private record Pending(long from, long to, Delta delta, long insertedAt, SharedStep step) {}

  private final Chord chord;
  private final String contextId;
  private final WireFormat format;
  private final Sink sink;
  private final int queueLimit;
  private final int maxMergedChanges;

  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private String initialMessage;
  private boolean started;
  private boolean sending;
  private boolean pumping;
  private boolean fullPending;
  private boolean closed;
  private long lastSent = -1;
  private long merges;
  private long fullResyncs;

  LiveConnection(
      Chord chord,
      String contextId,
      WireFormat format,
      Sink sink,
      int queueLimit,
      int maxMergedChanges) {
    this.chord = chord;
    this.contextId = contextId;
    this.format = format;
    this.sink = sink;
    this.queueLimit = queueLimit;
    this.maxMergedChanges = maxMergedChanges;
  }

  String contextId() {
    return contextId;
  }

  /**
   * Sends the initial sync message, then everything queued since the connection joined its topic.
   *
   * @param version the version the client has after {@code message}
   */
  void start(String message, long version) {
    synchronized (this) {
      initialMessage = message;
      lastSent = version;
      started = true;
    }
    pump();
  }

  /** Queues one committed delta (in version order, as the subscription delivers them). */
  void offer(SharedStep step) {
    synchronized (this) {
      if (closed || fullPending) {
        // A pending full context is read when sent, after this delta was committed: it has it.
        return;
      }
      DeltaRecord record = step.record();
      queue.add(
          new Pending(
              record.version() - 1, record.version(), record.delta(), record.insertedAt(), step));
      if (queue.size() > queueLimit) {
        collapse();
      }
    }
    pump();
  }

  /** Replaces whatever is queued by one full context: after a delete or restore. */
  void resync() {
    synchronized (this) {
      if (closed) {
        return;
      }
      queue.clear();
      fullPending = true;
    }
    pump();
  }

  void close() {
    synchronized (this) {
      closed = true;
      queue.clear();
    }
  }

  /** How often the queue overflowed and was merged into one patch. */
  synchronized long merges() {
    return merges;
  }

  /** How often the queue was replaced by a full context (overflow, reset or resync). */
  synchronized long fullResyncs() {
    return fullResyncs;
  }

  private void collapse() {
    List<Delta> deltas = new ArrayList<>(queue.size());
    Pending first = queue.peekFirst();
    long expected = first.from();
    Pending last = first;
    for (Pending pending : queue) {
      if (pending.from() != expected) {
        becomeFull();
        return;
      }
      deltas.add(pending.delta());
      expected = pending.to();
      last = pending;
    }
    Delta merged = Delta.merge(deltas);
    if (merged.changeCount() > maxMergedChanges) {
      becomeFull();
      return;
    }
    queue.clear();
    queue.add(new Pending(first.from(), last.to(), merged, last.insertedAt(), null));
    merges++;
  }

  private void becomeFull() {
    queue.clear();
    fullPending = true;
    fullResyncs++;
  }

  /**
   * Sends messages while the socket takes them. A sink that completes synchronously re-enters
   * through {@link #sent}; the {@code pumping} flag turns that recursion into this loop.
   */
  private void pump() {
    synchronized (this) {
      if (pumping) {
        return;
      }
      pumping = true;
    }
    try {
      while (true) {
        String text;
        boolean needsFull;
        synchronized (this) {
          if (sending || closed || !started) {
            return;
          }
          text = nextText();
          needsFull = text == null && fullPending;
          if (text == null && !needsFull) {
            return;
          }
          if (needsFull) {
            fullPending = false;
          }
          sending = true;
        }
        if (needsFull) {
          text = readFull();
          if (text == null) {
            return;
          }
        }
        sink.send(text, this::sent, this::failed);
      }
    } finally {
      synchronized (this) {
        pumping = false;
      }
    }
  }

  /** The next patch message to send, or {@code null} if none (or a full context is needed). */
  private String nextText() {
    if (initialMessage != null) {
      String text = initialMessage;
      initialMessage = null;
      return text;
    }
    if (fullPending) {
      return null;
    }
    Pending next;
    while ((next = queue.poll()) != null) {
      if (next.to() <= lastSent) {
        continue;
      }
      if (next.from() != lastSent) {
        becomeFull();
        return null;
      }
      lastSent = next.to();
      if (next.step() != null) {
        return next.step().message(format);
      }
      DeltaRecord merged = new DeltaRecord(contextId, next.to(), next.delta(), next.insertedAt());
      return Json.write(Messages.patch(merged, next.from(), format));
    }
    return null;
  }

  /** Reads the current context for a full resync; {@code null} if the connection was closed. */
  private String readFull() {
    Optional<Context> current;
    try {
      current = chord.getContext(contextId);
    } catch (RuntimeException e) {
      failed(e);
      sink.close(1011, "backend unavailable; reconnect later");
      return null;
    }
    synchronized (this) {
      lastSent = current.map(Context::version).orElse(0L);
    }
    return Json.write(current.map(Messages::full).orElseGet(Messages::absent));
  }

  private void sent() {
    synchronized (this) {
      sending = false;
    }
    pump();
  }

  private void failed(Throwable error) {
    close();
  }
}
