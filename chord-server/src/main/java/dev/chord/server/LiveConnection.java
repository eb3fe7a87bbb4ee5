package dev.chord.server;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket client following one context: turns the context's events into messages the client
 * can apply one after the other, at the pace the client reads.
 *
 * <p>Concurrency and the no-hole rule: all state is guarded by {@code this}. At most one message is
 * in flight ({@code sending}); the next one is chosen when the previous one is written. ({@code
 * epoch}, {@code lastSent}) is the state the client holds once everything handed to the socket
 * arrives, and a patch is only ever sent if it applies to exactly that state: its epoch and its
 * {@code fromVersion} (or, while the client holds "absent", it creates the context from version 0).
 * A patch of another epoch belongs to an incarnation the client has left (or never held) and is
 * dropped; a patch that does not chain within the client's epoch becomes a full context, read when
 * it is sent. A reset ({@code full} or {@code absent}) replaces the client's state whatever it was,
 * so it also replaces whatever was queued before it; one naming a state the client already holds or
 * has passed in the same epoch is skipped, and so is the delete of an incarnation the client has
 * passed (it holds a later one, read by its initial sync). So the client's (epoch, version) always
 * names a state the server had, and ends at the server's.
 *
 * <p>Memory bound: the queue holds at most {@code queueLimit} items. When a new delta would exceed
 * that, every queued delta is merged into one ({@link Delta#merge}, which yields exactly the diff
 * of the whole span); if they do not form one chain, or the merge has more than {@code
 * maxMergedChanges} changes, the queue is dropped and one full context (read when it is sent) takes
 * its place.
 *
 * <p>Merging when sent: when a write completes and the next patch has more patches chained behind
 * it in the queue (same epoch, each starting where the one before ends), they go as one patch over
 * the whole span, so a client that fell behind gets fewer, larger messages and every version still
 * reaches it, merged. Only what is queued at that moment is merged: a client that keeps up gets
 * each delta as soon as it is committed, as before. A span whose merge has more than {@code
 * maxMergedChanges} changes is shortened (see {@link #coalesce}); one patch alone goes as it is.
 */
final class LiveConnection {
  private static final Logger log = LoggerFactory.getLogger(LiveConnection.class);

  /** Where messages go: a WebSocket session, or a test double. */
  interface Sink {
    /** Sends {@code text}; calls exactly one of {@code done} or {@code failed} when written. */
    void send(String text, Runnable done, Consumer<Throwable> failed);

    /** Closes the connection with a WebSocket close code. */
    void close(int code, String reason);
  }

  /** A queued item: a patch or a reset. */
  private sealed interface Pending {}

  /**
   * One committed delta ({@code step} set), or several merged ({@code step} null); {@code since}:
   * when this node learned of the (oldest) commit, see {@link SharedStep#since()}.
   */
  private record Patch(
      String epoch, long from, long to, Delta delta, long insertedAt, SharedStep step, long since)
      implements Pending {}

  /**
   * A reset, and whether queuing it discarded anything (queued items or a pending full read): then
   * the client may be behind what was discarded, so the reset is no proof of where it stands.
   */
  private record Reset(SharedReset reset, boolean discarded) implements Pending {}

  private final Chord chord;
  private final String contextId;
  private final WireFormat format;
  private final Sink sink;
  private final int queueLimit;
  private final int maxMergedChanges;
  private final LiveMeters meters;

  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private String initialMessage;
  private boolean started;
  private boolean sending;
  private boolean pumping;

  /** {@link #deliver} is queuing events: the pump waits for all of them. */
  private boolean holding;

  private boolean fullPending;
  private boolean closed;
  private String epoch;
  private long lastSent = -1;
  private long merges;
  private long coalesced;
  private long fullResyncs;

  /** When the message in flight was handed to the socket ({@link System#nanoTime()}). */
  private long sendingSince;

  /** What {@link #nextText} chose, for the meters: its type ({@code null}: not counted), since. */
  private String nextType;

  private long nextSince;

  LiveConnection(
      Chord chord,
      String contextId,
      WireFormat format,
      Sink sink,
      int queueLimit,
      int maxMergedChanges) {
    this(chord, contextId, format, sink, queueLimit, maxMergedChanges, LiveMeters.NONE);
  }

  LiveConnection(
      Chord chord,
      String contextId,
      WireFormat format,
      Sink sink,
      int queueLimit,
      int maxMergedChanges,
      LiveMeters meters) {
    this.meters = meters;
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
   * @param epoch the epoch the client holds after {@code message}, {@code null} for "absent"
   * @param version the version the client holds after {@code message}, 0 for "absent"
   */
  void start(String message, String epoch, long version) {
    synchronized (this) {
      initialMessage = message;
      this.epoch = epoch;
      lastSent = version;
      started = true;
    }
    pump();
  }

  /** Queues one committed delta (in the subscription's order). */
  void offer(SharedStep step) {
    synchronized (this) {
      if (closed || fullPending) {
        // A pending full context is read when sent, after this delta was committed: it has it.
        return;
      }
      DeltaRecord record = step.record();
      queue.add(
          new Patch(
              record.epoch(),
              record.version() - 1,
              record.version(),
              record.delta(),
              record.insertedAt(),
              step,
              step.since()));
      meters.queued(queue.size());
      if (queue.size() > queueLimit) {
        collapse();
      }
    }
    pump();
  }

  /**
   * Queues {@code events} (in the subscription's order), then sends: what piled up in the fan-out
   * while it was behind goes out merged ({@link #coalesce}), not one message per event. Nothing is
   * sent while they are being queued, not even by a write completing meanwhile. Like {@link
   * #offer}, called by one thread at a time (its shard's fan-out).
   */
  void deliver(List<? extends LiveEvent> events) {
    synchronized (this) {
      holding = true;
    }
    try {
      for (LiveEvent event : events) {
        event.deliverTo(this);
      }
    } catch (RuntimeException | Error e) {
      // the rest of the batch, a reset among it perhaps, would be lost to this connection alone:
      // end it instead, and the client reconnects from its state
      abort("cannot deliver; reconnect");
      throw e;
    } finally {
      synchronized (this) {
        holding = false;
      }
      pump();
    }
  }

  /**
   * Queues a reset (in the subscription's order). It replaces the client's state whatever that is,
   * so it replaces everything queued before it, and a pending full read too: what follows the reset
   * is queued after it.
   */
  void reset(SharedReset reset) {
    synchronized (this) {
      if (closed) {
        return;
      }
      boolean discarded = fullPending || queue.stream().anyMatch(this::couldApply);
      queue.clear();
      fullPending = false;
      queue.add(new Reset(reset, discarded));
    }
    pump();
  }

  /**
   * Whether {@code pending} could still change the client's state when sent: anything but a patch
   * of another epoch than the one the client holds, which is dropped when its turn comes (the
   * client's epoch changes only by a reset, or by a creating patch while it holds none: those count
   * themselves). Discarding only such patches does not leave the client behind, so a reset that
   * replaced nothing else is still known to be passed or not.
   */
  private boolean couldApply(Pending pending) {
    return !(pending instanceof Patch patch)
        || epoch == null
        || Objects.equals(patch.epoch(), epoch);
  }

  void close() {
    synchronized (this) {
      closed = true;
      queue.clear();
    }
  }

  /**
   * How long the message in flight has waited to be written since it was handed to the socket, in
   * nanoseconds at {@code now} (a {@link System#nanoTime()}); 0 when nothing is in flight, which
   * includes while a full context is being read for it. A client that stopped reading keeps this
   * growing once the kernel's send buffer is full: what the stall timeout measures. So does one
   * that reads a message slower than the stall timeout allows, however steadily: the progress
   * within a message is not seen here (the endpoint sends a large message in parts and counts each
   * part written as progress, see {@code LiveEndpoint#sendParts}).
   */
  synchronized long pendingNanos(long now) {
    return sending && !closed ? now - sendingSince : 0;
  }

  /** How often the queue overflowed and was merged into one patch. */
  synchronized long merges() {
    return merges;
  }

  /**
   * How many messages carried more than one queued patch, merged when sent (not counting {@link
   * #merges}, which merged on overflow).
   */
  synchronized long coalesced() {
    return coalesced;
  }

  /** How often the queue was replaced by a full context read (overflow or a hole). */
  synchronized long fullResyncs() {
    return fullResyncs;
  }

  private void collapse() {
    List<Patch> chain = new ArrayList<>(queue.size());
    for (Pending pending : queue) {
      if (!(pending instanceof Patch patch)
          || !(chain.isEmpty() || follows(chain.get(chain.size() - 1), patch))) {
        becomeFull();
        return;
      }
      chain.add(patch);
    }
    Delta merged = merge(chain);
    if (merged.changeCount() > maxMergedChanges) {
      becomeFull();
      return;
    }
    queue.clear();
    queue.add(span(chain, merged));
    merges++;
    meters.merged();
  }

  /** Whether {@code next} follows {@code last}: same epoch, from the version {@code last} ends. */
  private static boolean follows(Patch last, Patch next) {
    return next.from() == last.to() && Objects.equals(next.epoch(), last.epoch());
  }

  private static Delta merge(List<Patch> chain) {
    List<Delta> deltas = new ArrayList<>(chain.size());
    for (Patch patch : chain) {
      deltas.add(patch.delta());
    }
    return Delta.merge(deltas);
  }

  /**
   * The patch covering {@code chain}, whose merged delta is {@code merged}; lag from the oldest.
   */
  private static Patch span(List<Patch> chain, Delta merged) {
    Patch first = chain.get(0);
    if (chain.size() == 1) {
      return first;
    }
    Patch last = chain.get(chain.size() - 1);
    return new Patch(
        last.epoch(), first.from(), last.to(), merged, last.insertedAt(), null, first.since());
  }

  private void becomeFull() {
    queue.clear();
    fullPending = true;
    fullResyncs++;
    meters.resynced();
  }

  /**
   * Sends messages while the socket takes them. A sink that completes synchronously re-enters
   * through {@link #sent}; the {@code pumping} flag turns that recursion into this loop. The pump
   * decides to stop and releases the flag in one synchronized block: an offer or a completion that
   * comes later finds the flag free and pumps itself, so none is lost.
   */
  private void pump() {
    synchronized (this) {
      if (pumping || holding) {
        return;
      }
      pumping = true;
    }
    try {
      while (true) {
        String text;
        boolean read;
        String type;
        long since;
        synchronized (this) {
          boolean ready = started && !sending && !closed && !holding;
          nextType = null;
          nextSince = 0;
          text = ready ? nextText() : null;
          type = nextType;
          since = nextSince;
          read = ready && text == null && fullPending;
          if (text == null && !read) {
            pumping = false;
            return;
          }
          if (read) {
            fullPending = false;
          }
        }
        if (read) {
          text = readFull();
          if (text == null) {
            continue;
          }
        }
        synchronized (this) {
          if (read) {
            type = epoch == null ? "absent" : "full";
          }
          // The clock starts at the hand-off: a slow backend read is not the client's stall.
          sending = true;
          sendingSince = System.nanoTime();
        }
        if (type != null) {
          meters.handedOff(type, since);
        }
        try {
          sink.send(text, this::sent, this::failed);
        } catch (RuntimeException e) {
          log.warn("sending to a live client of '{}' failed", contextId, e);
          abort("cannot send; reconnect");
        }
      }
    } catch (RuntimeException | Error e) {
      synchronized (this) {
        pumping = false;
      }
      throw e;
    }
  }

  /** The next message to send, or {@code null} if none (or a full context is needed). */
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
      if (next instanceof Reset reset) {
        SharedReset to = reset.reset();
        if (passed(to, reset.discarded())) {
          continue;
        }
        epoch = to.epoch();
        lastSent = to.version();
        nextType = epoch == null ? "absent" : "full";
        return to.message();
      }
      Patch patch = (Patch) next;
      boolean creates = epoch == null && patch.from() == 0;
      if (!creates && !Objects.equals(patch.epoch(), epoch)) {
        continue; // an incarnation the client has left, or never held
      }
      if (patch.to() <= lastSent) {
        continue;
      }
      if (patch.from() != lastSent) {
        becomeFull();
        return null;
      }
      return coalesce(patch);
    }
    return null;
  }

  /**
   * The message for {@code first}, a patch that applies to the client's state, merged with the
   * patches chained behind it in the queue (same epoch, each from where the one before ends), which
   * it takes off the queue: one message however far the client fell behind, and no waiting for
   * more. If merging the whole chain has more than {@code maxMergedChanges} changes, the span is
   * halved until it has not (down to {@code first} alone, sent as it would be anyway): a full read
   * would cost a backend read per connection, and halving costs at most twice the one merge. A span
   * starting at a shared step is merged and rendered once for all connections behind by the same
   * span ({@link SharedStep#coalesced}).
   */
  private String coalesce(Patch first) {
    epoch = first.epoch();
    nextType = "patch";
    nextSince = first.since();
    if (!(queue.peek() instanceof Patch second && follows(first, second))) {
      lastSent = first.to(); // a client that keeps up: the patch as it is, nothing merged
      return render(first);
    }
    List<Patch> chain = new ArrayList<>();
    chain.add(first);
    for (Pending pending : queue) {
      if (!(pending instanceof Patch patch) || !follows(chain.get(chain.size() - 1), patch)) {
        break;
      }
      chain.add(patch);
    }
    long queuedTo = chain.get(chain.size() - 1).to();
    SharedStep shared = first.step();
    SharedStep.Coalesced chosen =
        shared == null ? null : shared.coalesced(format, queuedTo, maxMergedChanges);
    if (chosen == null) {
      chosen = choose(chain);
      if (shared != null) {
        shared.keep(format, chosen);
      }
    }
    for (int i = 1; i < chain.size() && chain.get(i).to() <= chosen.sentTo(); i++) {
      queue.poll();
    }
    if (chosen.sentTo() > first.to()) {
      coalesced++;
      meters.coalesced();
    }
    lastSent = chosen.sentTo();
    return chosen.text();
  }

  /** Merges and renders the longest of {@code chain}, halved, within {@code maxMergedChanges}. */
  private SharedStep.Coalesced choose(List<Patch> chain) {
    List<Patch> span = chain;
    Delta merged = merge(span);
    while (span.size() > 1 && merged.changeCount() > maxMergedChanges) {
      span = span.subList(0, span.size() / 2);
      merged = merge(span);
    }
    Patch patch = span(span, merged);
    return new SharedStep.Coalesced(
        chain.get(chain.size() - 1).to(), maxMergedChanges, patch.to(), render(patch));
  }

  private String render(Patch patch) {
    if (patch.step() != null) {
      return patch.step().message(format);
    }
    DeltaRecord merged =
        new DeltaRecord(contextId, patch.to(), patch.delta(), patch.insertedAt(), patch.epoch());
    return Json.write(Messages.patch(merged, patch.from(), format));
  }

  /**
   * Whether the client is at the state {@code to} resets to, or past it, so that sending it would
   * take the client back. For a full context: the client holds its epoch at that version or later.
   * For "absent": the client is absent already, or it holds another incarnation than the one
   * deleted. The client is at the state just before the reset or a later one (its initial sync read
   * no earlier than the point it joined, and every event since was applied or found passed) unless
   * the reset {@code discarded} queued events or a pending read; just before a delete the context
   * is at the incarnation deleted, so another one is a later one: the initial sync read the context
   * re-created.
   */
  private boolean passed(SharedReset to, boolean discarded) {
    if (to.epoch() != null) {
      return to.epoch().equals(epoch) && to.version() <= lastSent;
    }
    return epoch == null || (!discarded && to.left() != null && !to.left().equals(epoch));
  }

  /** Reads the current context for a full resync; {@code null} if that failed (and closed). */
  private String readFull() {
    Optional<Context> current;
    try {
      current = chord.getContext(contextId);
    } catch (RuntimeException e) {
      abort("backend unavailable; reconnect later");
      return null;
    }
    synchronized (this) {
      epoch = current.map(Context::epoch).orElse(null);
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
    abort("cannot send; reconnect");
  }

  /** Stops this connection and closes its socket: the client reconnects from its state. */
  private void abort(String reason) {
    close();
    sink.close(1011, reason);
  }
}
