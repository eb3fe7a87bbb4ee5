package dev.chord.jdbc;

import dev.chord.BackendException;
import dev.chord.DeltaRecord;
import dev.chord.Epochs;
import dev.chord.json.TypedJson;
import dev.chord.spi.DeliveryQueue;
import dev.chord.spi.Feed;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-node push through {@code LISTEN}/{@code NOTIFY}: the functions of the schema notify the
 * prefix's one channel of every commit, restore and delete; one thread of this class holds a
 * connection that listens on it and hands each notification of a subscribed context to that
 * context's {@link Feed}s.
 *
 * <p>Threads: the listening thread only reads and queues. A fixed pool of delivery threads calls
 * the feeds (which read the backend: to fill holes, after resets). Each context is an actor: at
 * most one task drains its queue at a time, in order, so its feeds get its messages one at a time
 * in the order PostgreSQL sent them (in commit order). A context whose feed blocks holds one
 * delivery thread. The listening thread runs while some context is subscribed: within a poll
 * interval (at most a second) of the last unsubscribe it closes its connection and ends, and the
 * next subscription starts it again.
 *
 * <p>Gaps: notifications sent while the listening connection is down are lost. When it breaks (an
 * error, or no answer within twice the timeout to the heartbeat it sends after a quiet timeout) the
 * thread connects again, with back-off, listens, and queues a reset without epoch for every
 * subscribed context before anything else, so Chord reads what it missed. A context that falls
 * {@link #MAX_QUEUED} messages behind, or a message that cannot be read, is signalled the same way.
 */
final class Notifications implements AutoCloseable {
  /** The version of a reset without epoch, which tells of nothing but "re-read". */
  static final long UNKNOWN_VERSION = -1;

  static final int MAX_QUEUED = 1024;
  private static final int BATCH = 64;
  private static final int DELIVERY_THREADS = 2;
  private static final long MAX_BACKOFF_MILLIS = 2_000;

  /** In a queue: "messages may be missing", delivered as a reset without epoch. */
  private static final Object UNKNOWN = new Object();

  private static final Logger log = LoggerFactory.getLogger(Notifications.class);

  /** Reads the delta of a version whose notification was too large to carry it. */
  interface DeltaReader {
    Optional<DeltaRecord> delta(String contextId, String epoch, long version);
  }

  private final Supplier<Connection> connections;
  private final String channel;
  private final long timeoutMillis;
  private final DeltaReader reader;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private final ExecutorService delivery;

  /**
   * Guarded by this: the listening thread, started by a subscription when there is none, and ending
   * (with its connection) once no context is subscribed.
   */
  private @Nullable Thread listener;

  /** Guarded by this: whether the listening connection is up; notifyAll on change. */
  private boolean listening;

  private volatile boolean closed;

  Notifications(
      Supplier<Connection> connections, String channel, Duration timeout, DeltaReader reader) {
    this.connections = connections;
    this.channel = channel;
    this.timeoutMillis = timeout.toMillis();
    this.reader = reader;
    AtomicInteger threads = new AtomicInteger();
    this.delivery =
        Executors.newFixedThreadPool(
            DELIVERY_THREADS,
            r -> {
              Thread t = new Thread(r, "chord-jdbc-feed-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Subscribes {@code feed}; returns once the channel is listened to, so every commit from now on
   * reaches it.
   *
   * @throws BackendException if PostgreSQL cannot be listened to within the timeout
   */
  AutoCloseable subscribe(String contextId, Feed feed) {
    // Added inside compute, removed inside computeIfPresent: a topic in the map is never one
    // that a concurrent remove of its last feed has already taken out.
    Topic topic =
        topics.compute(
            contextId,
            (id, t) -> {
              Topic routed = t == null ? new Topic(id) : t;
              routed.feeds.add(feed);
              return routed;
            });
    try {
      awaitListening();
    } catch (BackendException e) {
      remove(topic, feed);
      throw e;
    }
    return () -> remove(topic, feed);
  }

  private void remove(Topic topic, Feed feed) {
    topics.computeIfPresent(
        topic.contextId,
        (id, t) -> {
          t.feeds.remove(feed);
          return t.feeds.isEmpty() ? null : t;
        });
  }

  private synchronized void awaitListening() {
    if (closed) {
      throw new IllegalStateException("this PostgresBackend is closed");
    }
    if (listener == null) {
      Thread thread = new Thread(this::listen, "chord-jdbc-listen-" + channel);
      thread.setDaemon(true);
      listener = thread;
      thread.start();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    try {
      while (!listening) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new BackendException(
              "PostgreSQL: cannot LISTEN on " + channel + " within " + timeoutMillis + " ms");
        }
        wait(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted while waiting for LISTEN", e);
    }
  }

  /** Only the current listening thread tells whether it listens: one that ended is not it. */
  private synchronized void setListening(boolean up) {
    if (listener == Thread.currentThread()) {
      listening = up;
      notifyAll();
    }
  }

  /**
   * Whether the calling listening thread should go on: while some context is subscribed. If not, it
   * stops being the listener in the same step, so that a subscription from now on starts a new one
   * (a subscription puts its topic in the map before it looks for the listener).
   */
  private synchronized boolean wanted() {
    if (listener != Thread.currentThread()) {
      return false;
    }
    if (!topics.isEmpty()) {
      return true;
    }
    listener = null;
    listening = false;
    notifyAll();
    return false;
  }

  /**
   * The listening thread: connect, LISTEN, read until it breaks, back off, again; it ends, closing
   * its connection, when no context is subscribed any more.
   */
  private void listen() {
    long backoff = 50;
    boolean first = true;
    while (!closed && wanted()) {
      Connection c = null;
      try {
        c = connections.get();
        c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, 2 * timeoutMillis));
        try (Statement listen = c.createStatement()) {
          listen.execute("LISTEN \"" + channel + "\"");
        }
        if (!c.getAutoCommit()) {
          c.commit();
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        if (!first) {
          // Whatever was notified while no connection listened is lost: re-read.
          topics.values().forEach(t -> t.offer(UNKNOWN));
        }
        first = false;
        backoff = 50;
        setListening(true);
        receive(c, pg);
      } catch (SQLException | RuntimeException e) {
        if (!closed) {
          log.warn("LISTEN connection on {} lost, reconnecting: {}", channel, e.toString());
        }
      } finally {
        setListening(false);
        closeQuietly(c);
      }
      if (!closed && wanted()) {
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException e) {
          return;
        }
        backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
      }
    }
  }

  /**
   * Reads notifications until the connection fails; checks it with a heartbeat query after each
   * quiet timeout, so that a connection that went silent is noticed within about three timeouts.
   */
  private void receive(Connection c, PGConnection pg) throws SQLException {
    int wait = (int) Math.max(50, Math.min(timeoutMillis, 1_000));
    long lastHeard = System.nanoTime();
    while (!closed && wanted()) {
      PGNotification[] received = pg.getNotifications(wait);
      if (received != null && received.length > 0) {
        lastHeard = System.nanoTime();
        for (PGNotification notification : received) {
          route(notification.getParameter());
        }
      } else if (System.nanoTime() - lastHeard > TimeUnit.MILLISECONDS.toNanos(timeoutMillis)) {
        try (Statement ping = c.createStatement()) {
          ping.execute("select 1");
        }
        lastHeard = System.nanoTime();
      }
    }
  }

  /** Queues a payload for its context's feeds, if it has any. */
  private void route(String payload) {
    Message.Header header;
    try {
      header = Message.header(payload);
    } catch (RuntimeException e) {
      log.warn("unreadable notification on {}: {}", channel, TypedJson.abbreviate(payload), e);
      topics.values().forEach(t -> t.offer(UNKNOWN));
      return;
    }
    Topic topic = topics.get(header.contextId());
    if (topic != null) {
      topic.offer(header);
    }
  }

  private static void closeQuietly(@Nullable Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException | RuntimeException e) {
        log.debug("closing the LISTEN connection failed", e);
      }
    }
  }

  /**
   * Stops delivery at once; the listening thread sees the flag within its poll interval (at most a
   * second) and closes its connection itself, so that a pool gets it back in order.
   */
  @Override
  public void close() {
    closed = true;
    Thread thread;
    synchronized (this) {
      thread = listener;
    }
    if (thread != null) {
      thread.interrupt();
    }
    delivery.shutdownNow();
  }

  /** What the functions notify: {@code <kind> <epoch> <version> <id length> <id>[<delta>]}. */
  static final class Message {
    private Message() {}

    /** A parsed first part, with the rest of the payload still as text. */
    record Header(String kind, String epoch, long version, String contextId, String body) {}

    static Header header(String payload) {
      int a = payload.indexOf(' ');
      int b = payload.indexOf(' ', a + 1);
      int c = payload.indexOf(' ', b + 1);
      int d = payload.indexOf(' ', c + 1);
      if (a < 0 || b < 0 || c < 0 || d < 0) {
        throw new IllegalArgumentException("not <kind> <epoch> <version> <length> <id>…");
      }
      String kind = payload.substring(0, a);
      String epoch = Epochs.check(payload.substring(a + 1, b));
      long version = Long.parseLong(payload.substring(b + 1, c));
      int length = Integer.parseInt(payload.substring(c + 1, d));
      // PostgreSQL counts characters, Java UTF-16 units: count code points.
      int idEnd = payload.offsetByCodePoints(d + 1, length);
      return new Header(
          kind, epoch, version, payload.substring(d + 1, idEnd), payload.substring(idEnd));
    }
  }

  /** The feeds of one context and the messages waiting for them; an actor on the pool. */
  private final class Topic {
    final String contextId;
    final List<Feed> feeds = new CopyOnWriteArrayList<>();

    /** Headers and {@link #UNKNOWN}, on their way to the feeds. */
    private final DeliveryQueue<Object> queue;

    Topic(String contextId) {
      this.contextId = contextId;
      this.queue =
          new DeliveryQueue<>(
              delivery,
              MAX_QUEUED,
              BATCH,
              UNKNOWN,
              this::deliver,
              () ->
                  log.warn(
                      "subscribers of '{}' fell {} messages behind: dropped them for a re-read",
                      contextId,
                      MAX_QUEUED));
    }

    /** Queues {@code item} for the feeds (see {@link DeliveryQueue}). */
    void offer(Object item) {
      queue.offer(item);
    }

    private void deliver(Object item) {
      if (item == UNKNOWN) {
        reset(null, UNKNOWN_VERSION);
        return;
      }
      Message.Header header = (Message.Header) item;
      try {
        switch (header.kind()) {
          case "d" -> delta(Leaves.JSON.readDeltaMessage(contextId, header.body(), header.epoch()));
          case "v" -> {
            // Too large for NOTIFY: read it; gone already (trimmed, or another incarnation now)
            // means this subscriber must re-read anyway.
            Optional<DeltaRecord> read = reader.delta(contextId, header.epoch(), header.version());
            if (read.isPresent()) {
              delta(read.get());
            } else {
              reset(null, UNKNOWN_VERSION);
            }
          }
          case "r" -> reset(header.epoch(), header.version());
          default -> throw new IllegalArgumentException("unknown kind '" + header.kind() + "'");
        }
      } catch (RuntimeException e) {
        log.warn("unreadable or unreadable-now notification for '{}'", contextId, e);
        reset(null, UNKNOWN_VERSION);
      }
    }

    private void delta(DeltaRecord record) {
      for (Feed feed : feeds) {
        try {
          feed.onDelta(record);
        } catch (RuntimeException e) {
          log.warn("subscriber of '{}' failed on version {}", contextId, record.version(), e);
        }
      }
    }

    private void reset(@Nullable String epoch, long version) {
      for (Feed feed : feeds) {
        try {
          feed.onReset(epoch, version);
        } catch (RuntimeException e) {
          log.warn("subscriber of '{}' failed on a reset to {} {}", contextId, epoch, version, e);
        }
      }
    }
  }
}
