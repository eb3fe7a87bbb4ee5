package dev.chord.server;

import dev.chord.Chord;
import dev.chord.ContextNotFoundException;
import dev.chord.DeltaRecord;
import dev.chord.SyncResult;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live side of the server: one {@link Chord#subscribe subscription} per context that has
 * connections on this node, fanned out to its {@link LiveConnection}s.
 *
 * <p>The subscription delivers every commit exactly once and in version order (from any node
 * sharing the backend); fan-out runs on the hub's own threads so that a commit never waits for
 * clients, and one topic is drained by one thread at a time, so order is kept. A connection joins
 * its topic before it reads its initial sync, so no commit falls between the two: anything at or
 * below the synced version is dropped by the connection, anything above is queued.
 */
final class LiveHub implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveHub.class);

  private final Chord chord;
  private final int queueLimit;
  private final int maxMergedChanges;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private final ExecutorService fanout;

  LiveHub(Chord chord, int queueLimit, int maxMergedChanges) {
    this.chord = chord;
    this.queueLimit = queueLimit;
    this.maxMergedChanges = maxMergedChanges;
    AtomicInteger n = new AtomicInteger();
    this.fanout =
        Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            r -> {
              Thread t = new Thread(r, "chord-live-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Connects a client at {@code clientVersion} ({@code null}: it has nothing) and sends it the
   * initial sync message.
   *
   * @throws IllegalArgumentException for a negative version
   */
  LiveConnection open(
      String contextId, WireFormat format, Long clientVersion, LiveConnection.Sink sink) {
    LiveConnection connection =
        new LiveConnection(chord, contextId, format, sink, queueLimit, maxMergedChanges);
    topics.compute(
        contextId,
        (id, topic) -> {
          Topic joined = topic != null ? topic : new Topic(id);
          joined.connections.add(connection);
          return joined;
        });
    try {
      SyncResult sync = chord.syncContext(contextId, clientVersion);
      connection.start(Json.write(Messages.sync(sync, format)), sync.version());
    } catch (ContextNotFoundException e) {
      connection.start(Json.write(Messages.absent()), 0);
    } catch (RuntimeException e) {
      close(connection);
      throw e;
    }
    return connection;
  }

  /** Disconnects {@code connection} from its topic; the last one out ends the subscription. */
  void close(LiveConnection connection) {
    connection.close();
    topics.computeIfPresent(
        connection.contextId(),
        (id, topic) -> {
          topic.connections.remove(connection);
          if (!topic.connections.isEmpty()) {
            return topic;
          }
          topic.close();
          return null;
        });
  }

  /** Sends every client of {@code contextId} on this node the full context (or its absence). */
  void resync(String contextId) {
    Topic topic = topics.get(contextId);
    if (topic != null) {
      topic.connections.forEach(LiveConnection::resync);
    }
  }

  /** How often a queue on this node overflowed (merged, or replaced by a full context). */
  long overflows() {
    return topics.values().stream()
        .flatMap(t -> t.connections.stream())
        .mapToLong(c -> c.merges() + c.fullResyncs())
        .sum();
  }

  /** Live connections on this node. */
  int connectionCount() {
    return topics.values().stream().mapToInt(t -> t.connections.size()).sum();
  }

  @Override
  public void close() {
    fanout.shutdownNow();
    topics.values().forEach(Topic::close);
    topics.clear();
  }

  /** The connections following one context, and the subscription that feeds them. */
  private final class Topic {
    final String contextId;
    final Set<LiveConnection> connections = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<DeltaRecord> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AutoCloseable subscription;

    Topic(String contextId) {
      this.contextId = contextId;
      this.subscription = chord.subscribe(contextId, this::accept);
    }

    private void accept(DeltaRecord record) {
      inbox.add(record);
      if (draining.compareAndSet(false, true)) {
        fanout.execute(this::drain);
      }
    }

    private void drain() {
      while (true) {
        DeltaRecord record;
        while ((record = inbox.poll()) != null) {
          SharedStep step = new SharedStep(record);
          for (LiveConnection connection : connections) {
            connection.offer(step);
          }
        }
        draining.set(false);
        // A record added after the poll saw an empty inbox but before the flag dropped would be
        // stranded: take the flag back and go round again if so.
        if (inbox.isEmpty() || !draining.compareAndSet(false, true)) {
          return;
        }
      }
    }

    void close() {
      try {
        subscription.close();
      } catch (Exception e) {
        log.warn("closing the subscription to '{}' failed", contextId, e);
      }
    }
  }
}
