package dev.chord.server;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.ContextListener;
import dev.chord.ContextNotFoundException;
import dev.chord.DeltaRecord;
import dev.chord.Subscription;
import dev.chord.SyncResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live side of the server: one {@link Chord#subscribe(String, ContextListener) subscription}
 * per context that has connections on this node, fanned out to its {@link LiveConnection}s.
 *
 * <p>The subscription reports every commit and every reset (delete, restore, from any node sharing
 * the backend) exactly once and in one order; both travel the same queues to the connections, so a
 * delta of an incarnation can never overtake the reset that ended it. Each event is tagged with its
 * epoch, and a connection drops a patch of an epoch it does not hold. Fan-out runs on the hub's own
 * threads so that a commit never waits for clients, and each connection is fed by one thread at a
 * time, so its order is kept. A connection joins its topic before it reads its initial sync, so no
 * event falls between the two: whatever the initial sync already covers is dropped by the
 * connection, anything later is queued.
 */
final class LiveHub implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveHub.class);
  private static final int THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());

  private final Chord chord;
  private final int queueLimit;
  private final int maxMergedChanges;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private final ExecutorService fanout;
  private final int shardCount;
  private final LiveMeters meters;

  /** A hub with one fan-out thread, and so one shard per topic, per core (at least two). */
  LiveHub(Chord chord, int queueLimit, int maxMergedChanges) {
    this(chord, queueLimit, maxMergedChanges, LiveMeters.NONE);
  }

  /** {@link #LiveHub(Chord, int, int)} reporting to {@code meters}. */
  LiveHub(Chord chord, int queueLimit, int maxMergedChanges, LiveMeters meters) {
    this(chord, queueLimit, maxMergedChanges, fanoutPool(THREADS), THREADS, meters);
  }

  /**
   * A hub whose fan-out runs on {@code fanout} (shut down with the hub), with {@code shards} shards
   * per topic: at most that many threads feed one topic's connections at once.
   */
  LiveHub(Chord chord, int queueLimit, int maxMergedChanges, ExecutorService fanout, int shards) {
    this(chord, queueLimit, maxMergedChanges, fanout, shards, LiveMeters.NONE);
  }

  private LiveHub(
      Chord chord,
      int queueLimit,
      int maxMergedChanges,
      ExecutorService fanout,
      int shards,
      LiveMeters meters) {
    this.meters = meters;
    this.chord = chord;
    this.queueLimit = queueLimit;
    this.maxMergedChanges = maxMergedChanges;
    this.fanout = fanout;
    this.shardCount = shards;
  }

  private static ExecutorService fanoutPool(int threads) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(
        threads,
        r -> {
          Thread t = new Thread(r, "chord-live-" + n.incrementAndGet());
          t.setDaemon(true);
          t.setUncaughtExceptionHandler(
              (thread, e) -> log.error("live fan-out thread {} failed", thread.getName(), e));
          return t;
        });
  }

  /**
   * Connects a client holding {@code client} and sends it the initial sync message.
   *
   * @throws RuntimeException what subscribing or the initial sync threw; nothing stays registered
   */
  LiveConnection open(
      String contextId, WireFormat format, ClientState client, LiveConnection.Sink sink) {
    LiveConnection connection =
        new LiveConnection(chord, contextId, format, sink, queueLimit, maxMergedChanges, meters);
    join(connection);
    try {
      SyncResult sync = client.sync(chord, contextId);
      meters.handedOff(typeOf(sync), 0);
      connection.start(Json.write(Messages.sync(sync, format)), sync.epoch(), sync.version());
    } catch (ContextNotFoundException e) {
      meters.handedOff("absent", 0);
      connection.start(Json.write(Messages.absent()), null, 0);
    } catch (RuntimeException e) {
      close(connection);
      throw e;
    }
    return connection;
  }

  /** The {@code type} of the message {@link Messages#sync} renders for {@code sync}. */
  private static String typeOf(SyncResult sync) {
    if (sync instanceof SyncResult.Full) {
      return "full";
    }
    return sync instanceof SyncResult.Patch ? "patch" : "no_change";
  }

  /** Adds {@code connection} to the topic of its context, subscribing if it is the first. */
  private void join(LiveConnection connection) {
    // The map only ever holds topics; subscribing (a backend round trip) happens in Topic#add,
    // outside the map's locks. A topic found closed has already left the map: take a new one.
    while (true) {
      if (topics.computeIfAbsent(connection.contextId(), Topic::new).add(connection)) {
        return;
      }
    }
  }

  /** Disconnects {@code connection} from its topic; the last one out ends the subscription. */
  void close(LiveConnection connection) {
    connection.close();
    Topic topic = topics.get(connection.contextId());
    if (topic != null) {
      topic.remove(connection);
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

  /** Contexts this node holds a subscription for; for tests. */
  int topicCount() {
    return topics.size();
  }

  @Override
  public void close() {
    fanout.shutdownNow();
    topics.values().forEach(Topic::end);
    topics.clear();
  }

  /**
   * The connections following one context, and the subscription that feeds them. Connections are
   * spread over shards, one per fan-out thread, so that one busy context is written out by every
   * core; each connection stays in one shard, which keeps its events in order.
   *
   * <p>Membership and the subscription are guarded by {@code this}; a topic is closed exactly when
   * it loses its last connection (or fails to subscribe), and it leaves the map in the same step.
   */
  private final class Topic implements ContextListener {
    final String contextId;
    final Set<LiveConnection> connections = ConcurrentHashMap.newKeySet();
    private final Shard[] shards = new Shard[shardCount];
    private Subscription subscription;
    private boolean closed;

    /**
     * The epoch the subscription is at, {@code null} while absent: what a reset leaves. Only the
     * subscription's callbacks touch it, and it calls them one at a time.
     */
    private String epoch;

    Topic(String contextId) {
      this.contextId = contextId;
      for (int i = 0; i < shards.length; i++) {
        shards[i] = new Shard();
      }
    }

    /**
     * Adds {@code connection}, subscribing first if this is the first one.
     *
     * @return {@code false} if this topic is closed (nothing done)
     * @throws RuntimeException what subscribing threw; the topic is closed then
     */
    synchronized boolean add(LiveConnection connection) {
      if (closed) {
        return false;
      }
      if (subscription == null) {
        try {
          subscription = chord.subscribe(contextId, this);
        } catch (RuntimeException e) {
          closed = true;
          topics.remove(contextId, this);
          throw e;
        }
      }
      connections.add(connection);
      Shard smallest = shards[0];
      for (Shard shard : shards) {
        if (shard.connections.size() < smallest.connections.size()) {
          smallest = shard;
        }
      }
      smallest.connections.add(connection);
      return true;
    }

    /** Removes {@code connection}; the last one out closes the topic and its subscription. */
    void remove(LiveConnection connection) {
      synchronized (this) {
        if (!connections.remove(connection)) {
          return;
        }
        for (Shard shard : shards) {
          shard.connections.remove(connection);
        }
        if (!connections.isEmpty()) {
          return;
        }
        closed = true;
        topics.remove(contextId, this);
      }
      end();
    }

    /** Ends the subscription. */
    void end() {
      Subscription ending;
      synchronized (this) {
        ending = subscription;
        subscription = null;
      }
      if (ending == null) {
        return;
      }
      try {
        ending.close();
      } catch (RuntimeException e) {
        log.warn("closing the subscription to '{}' failed", contextId, e);
      }
    }

    /**
     * The subscription's starting point: no connection has joined yet, so there is nobody to tell;
     * it is only where {@link #epoch} starts.
     */
    @Override
    public void onStart(Optional<Context> current) {
      epoch = current.map(Context::epoch).orElse(null);
    }

    @Override
    public void onDelta(DeltaRecord record) {
      epoch = record.epoch();
      dispatch(new SharedStep(record));
    }

    @Override
    public void onReset(Optional<Context> current) {
      String left = epoch;
      epoch = current.map(Context::epoch).orElse(null);
      dispatch(SharedReset.of(current, left));
    }

    private void dispatch(LiveEvent event) {
      for (Shard shard : shards) {
        if (!shard.connections.isEmpty()) {
          shard.enqueue(event);
        }
      }
    }
  }

  /** Some connections of a topic, fed in order by one fan-out thread at a time. */
  private final class Shard {
    final Set<LiveConnection> connections = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<LiveEvent> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    void enqueue(LiveEvent event) {
      inbox.add(event);
      schedule();
    }

    private void schedule() {
      if (draining.compareAndSet(false, true)) {
        try {
          fanout.execute(this::drain);
        } catch (RejectedExecutionException e) {
          draining.set(false); // the hub is closed
        } catch (RuntimeException | Error e) {
          draining.set(false); // no thread for it (out of memory): the next event tries again
          throw e;
        }
      }
    }

    /**
     * Hands every queued event to every connection, in batches of what the inbox holds (at most
     * {@code queueLimit} events, so that a batch alone never overflows a connection's queue): a
     * connection gets a batch at once and sends it as one merged message, so a fan-out that fell
     * behind catches up instead of writing every event to every socket. A connection that throws is
     * logged and skipped (the others still get the batch); an Error is thrown once every connection
     * has the batch. Whatever happens, the flag is released and the inbox checked again, so an
     * event queued meanwhile by a thread that found the flag taken is not stranded.
     */
    private void drain() {
      try {
        List<LiveEvent> batch = new ArrayList<>();
        LiveEvent event;
        while (true) {
          while (batch.size() < queueLimit && (event = inbox.poll()) != null) {
            batch.add(event);
          }
          if (batch.isEmpty()) {
            return;
          }
          fanOut(batch);
          batch.clear();
        }
      } finally {
        draining.set(false);
        if (!inbox.isEmpty()) {
          schedule();
        }
      }
    }

    private void fanOut(List<LiveEvent> batch) {
      Error error = null;
      for (LiveConnection connection : connections) {
        try {
          connection.deliver(batch);
        } catch (RuntimeException e) {
          log.warn("a live connection to '{}' failed on an event", connection.contextId(), e);
        } catch (Error e) {
          if (error == null) {
            error = e;
          } else {
            error.addSuppressed(e);
          }
        }
      }
      if (error != null) {
        throw error;
      }
    }
  }
}
