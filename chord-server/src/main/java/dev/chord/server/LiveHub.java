package dev.chord.server;

import dev.chord.Chord;
import dev.chord.ContextNotFoundException;
import dev.chord.DeltaRecord;
import dev.chord.SyncResult;
import dev.chord.spi.Backend;
import dev.chord.spi.Feed;
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
 * clients, and each connection is fed by one thread at a time, so its order is kept. A connection
 * joins its topic before it reads its initial sync, so no commit falls between the two: anything at
 * or below the synced version is dropped by the connection, anything above is queued.
 */
final class LiveHub implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveHub.class);

  private final Chord chord;
  private final Backend backend;
  private final int queueLimit;
  private final int maxMergedChanges;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private final ExecutorService fanout;
  private final int fanoutThreads = Math.max(2, Runtime.getRuntime().availableProcessors());

  LiveHub(Chord chord, Backend backend, int queueLimit, int maxMergedChanges) {
    this.chord = chord;
    this.backend = backend;
    this.queueLimit = queueLimit;
    this.maxMergedChanges = maxMergedChanges;
    AtomicInteger n = new AtomicInteger();
    this.fanout =
        Executors.newFixedThreadPool(
            fanoutThreads,
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
          joined.add(connection);
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
          topic.remove(connection);
          if (!topic.connections.isEmpty()) {
            return topic;
          }
          topic.close();
          return null;
        });
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

  /**
   * The connections following one context, and the subscription that feeds them. Connections are
   * spread over shards, one per fan-out thread, so that one busy context is written out by every
   * core; each connection stays in one shard, which keeps its deltas in order.
   */
  private final class Topic {
    final String contextId;
    final Set<LiveConnection> connections = ConcurrentHashMap.newKeySet();
    private final Shard[] shards = new Shard[fanoutThreads];
    private final AutoCloseable subscription;
    private final AutoCloseable resets;

    Topic(String contextId) {
      this.contextId = contextId;
      for (int i = 0; i < shards.length; i++) {
        shards[i] = new Shard();
      }
      this.subscription = chord.subscribe(contextId, this::accept);
      // Chord's subscription follows deletes and restores but does not report them. A restore on
      // another node can bring back a version number a client already has, with other data, and
      // the deltas after it would then chain onto the wrong state: resync on every reset instead.
      this.resets =
          backend.subscribe(
              contextId,
              new Feed() {
                @Override
                public void onDelta(DeltaRecord record) {}

                @Override
                public void onReset(long version) {
                  connections.forEach(LiveConnection::resync);
                }
              });
    }

    void add(LiveConnection connection) {
      connections.add(connection);
      Shard smallest = shards[0];
      for (Shard shard : shards) {
        if (shard.connections.size() < smallest.connections.size()) {
          smallest = shard;
        }
      }
      smallest.connections.add(connection);
    }

    void remove(LiveConnection connection) {
      connections.remove(connection);
      for (Shard shard : shards) {
        shard.connections.remove(connection);
      }
    }

    private void accept(DeltaRecord record) {
      SharedStep step = new SharedStep(record);
      for (Shard shard : shards) {
        if (!shard.connections.isEmpty()) {
          shard.enqueue(step);
        }
      }
    }

    void close() {
      for (AutoCloseable feed : new AutoCloseable[] {subscription, resets}) {
        try {
          feed.close();
        } catch (Exception e) {
          log.warn("closing a subscription to '{}' failed", contextId, e);
        }
      }
    }
  }

  /** Some connections of a topic, fed in order by one fan-out thread at a time. */
  private final class Shard {
    final Set<LiveConnection> connections = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<SharedStep> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    void enqueue(SharedStep step) {
      inbox.add(step);
      if (draining.compareAndSet(false, true)) {
        fanout.execute(this::drain);
      }
    }

    private void drain() {
      while (true) {
        SharedStep step;
        while ((step = inbox.poll()) != null) {
          for (LiveConnection connection : connections) {
            connection.offer(step);
          }
        }
        draining.set(false);
        // A step added after the poll saw an empty inbox but before the flag dropped would be
        // stranded: take the flag back and go round again if so.
        if (inbox.isEmpty() || !draining.compareAndSet(false, true)) {
          return;
        }
      }
    }
  }
}
