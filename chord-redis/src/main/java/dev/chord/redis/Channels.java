package dev.chord.redis;

import dev.chord.BackendException;
import dev.chord.DeltaRecord;
import dev.chord.Epochs;
import dev.chord.json.TypedJson;
import dev.chord.spi.DeliveryQueue;
import dev.chord.spi.Feed;
import io.lettuce.core.RedisException;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-node push: the script publishes every commit, delete and restore on its context's channel
 * ({@link #DELTA} and {@link #RESET} messages, each naming its epoch); this class holds one channel
 * subscription per subscribed context on the backend's pub/sub connection and hands each message to
 * that context's {@link Feed}s.
 *
 * <p>Threads: Lettuce reports messages on its event loop, which must never run user code or block
 * (Chord's subscriptions read the backend from their feeds: to fill holes, after resets). So the
 * event loop only appends each message to its context's queue; a fixed pool of delivery threads
 * calls the feeds. Each context is an actor: at most one task drains its queue at a time, in order,
 * so its feeds get its messages one at a time in the order Redis sent them (Redis runs each script
 * atomically and delivers one channel's messages in publishing order, so resets arrive in order
 * with the deltas). A task hands over its thread after {@link #BATCH} messages, so a busy context
 * takes turns with the others; a context whose feed blocks holds one thread, and the others go on
 * with the rest of the pool.
 *
 * <p>Memory: a context queues at most {@link #MAX_QUEUED} messages. One more, and what is queued is
 * dropped for a single reset without epoch ("messages may be missing"): Chord reads the context
 * then, so nothing is lost but the steps in between.
 *
 * <p>Gaps: pub/sub drops what is published while the connection is down. Lettuce resubscribes after
 * a reconnect; when a channel's subscription is confirmed for the second time or later, its feeds
 * get a reset without epoch, queued before the channel's next message, and Chord reads what it
 * missed. A message that cannot be read is logged and signalled the same way.
 */
final class Channels extends RedisPubSubAdapter<String, String> implements AutoCloseable {
  /** A commit: {@code d <epoch> <delta message>}. */
  static final String DELTA = "d";

  /** A restore: {@code r <epoch> <version>}; a delete: {@code r <deleted epoch> 0}. */
  static final String RESET = "r";

  /** The version of a reset without epoch, which tells of nothing but "re-read". */
  static final long UNKNOWN_VERSION = -1;

  /** The most messages one context may have waiting for its feeds. */
  static final int MAX_QUEUED = 1024;

  /** The most messages one task delivers before its thread goes to the next context in line. */
  static final int BATCH = 64;

  /** In a queue: "messages may be missing", delivered as a reset without epoch. */
  private static final Object UNKNOWN = new Object();

  private static final Logger log = LoggerFactory.getLogger(Channels.class);

  private final StatefulRedisPubSubConnection<String, String> connection;
  private final Keys keys;
  private final Script script;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();

  /**
   * The delivery threads. Its queue holds at most one task per context (see {@link Topic}), so it
   * is bounded by the number of subscribed contexts.
   */
  private final ExecutorService delivery;

  Channels(
      StatefulRedisPubSubConnection<String, String> connection,
      Keys keys,
      Script script,
      int deliveryThreads) {
    this.connection = connection;
    this.keys = keys;
    this.script = script;
    AtomicInteger threads = new AtomicInteger();
    this.delivery =
        Executors.newFixedThreadPool(
            deliveryThreads,
            r -> {
              Thread t = new Thread(r, "chord-redis-feed-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    connection.addListener(this);
  }

  /** Subscribes {@code feed}; returns once Redis has confirmed the channel subscription. */
  AutoCloseable subscribe(String contextId, Feed feed) {
    String channel = keys.channel(contextId);
    Topic topic;
    synchronized (topics) {
      topic = topics.get(channel);
      if (topic == null) {
        topic = new Topic(contextId, channel);
        topics.put(channel, topic);
        topic.ready = connection.async().subscribe(channel).toCompletableFuture();
      }
      topic.feeds.add(feed);
    }
    Topic subscribed = topic;
    try {
      script.await(subscribed.ready, "SUBSCRIBE");
    } catch (BackendException e) {
      remove(subscribed, feed);
      throw e;
    }
    return () -> remove(subscribed, feed);
  }

  private void remove(Topic topic, Feed feed) {
    synchronized (topics) {
      topic.feeds.remove(feed);
      if (topic.feeds.isEmpty() && topics.remove(topic.channel, topic)) {
        try {
          connection
              .async()
              .unsubscribe(topic.channel)
              .whenComplete(
                  (done, failure) -> {
                    if (failure != null) {
                      log.debug("unsubscribe from {} failed", topic.channel, failure);
                    }
                  });
        } catch (RedisException e) {
          // Disconnected: the channel is gone from Lettuce's resubscribe list either way.
          log.debug("unsubscribe from {} failed", topic.channel, e);
        }
      }
    }
  }

  /** Called on Lettuce's event loop: only queues the message. */
  @Override
  public void message(String channel, String message) {
    Topic topic = topics.get(channel);
    if (topic != null) {
      topic.offer(message);
    }
  }

  /**
   * Called on Lettuce's event loop when Redis confirms a subscription, before any message of the
   * channel that follows it: after a resubscription, the reset queued here comes first.
   */
  @Override
  public void subscribed(String channel, long count) {
    Topic topic = topics.get(channel);
    if (topic != null && topic.confirmed.getAndSet(true)) {
      topic.offer(UNKNOWN);
    }
  }

  @Override
  public void close() {
    connection.removeListener(this);
    delivery.shutdownNow();
  }

  /**
   * The feeds of one context's channel and the messages waiting for them; run by a delivery thread,
   * it delivers some of them (see the class comment).
   */
  private final class Topic {
    final String contextId;
    final String channel;
    final List<Feed> feeds = new CopyOnWriteArrayList<>();

    /** Set by the first subscription confirmation; later ones are resubscriptions. */
    final AtomicBoolean confirmed = new AtomicBoolean();

    /** Completes when Redis confirmed the first subscription; guarded by the topics' monitor. */
    CompletableFuture<?> ready;

    /** Raw messages and {@link #UNKNOWN}, on their way to the feeds. */
    private final DeliveryQueue<Object> queue;

    Topic(String contextId, String channel) {
      this.contextId = contextId;
      this.channel = channel;
      this.queue =
          new DeliveryQueue<>(
              delivery,
              MAX_QUEUED,
              BATCH,
              UNKNOWN,
              this::deliver,
              () ->
                  log.warn(
                      "subscribers of '{}' fell {} messages behind: dropped them for a reset (a"
                          + " re-read)",
                      contextId,
                      MAX_QUEUED));
    }

    /** Queues {@code item} for the feeds (see {@link DeliveryQueue}). */
    void offer(Object item) {
      queue.offer(item);
    }

    private void deliver(Object item) {
      if (item == UNKNOWN) {
        unknown();
      } else {
        receive((String) item);
      }
    }

    /** Handles a message: {@code <kind> <epoch> <body>}. */
    private void receive(String message) {
      int first = message.indexOf(' ');
      int second = first < 0 ? -1 : message.indexOf(' ', first + 1);
      try {
        if (second < 0) {
          throw new IllegalArgumentException("not <kind> <epoch> <body>");
        }
        String kind = message.substring(0, first);
        String epoch = Epochs.check(message.substring(first + 1, second));
        String body = message.substring(second + 1);
        if (kind.equals(DELTA)) {
          delta(JsonCodec.VALUES.readDeltaMessage(contextId, body, epoch));
        } else if (kind.equals(RESET)) {
          long version = Long.parseLong(body);
          if (version < 0) {
            throw new IllegalArgumentException("negative version");
          }
          reset(epoch, version);
        } else {
          throw new IllegalArgumentException("unknown kind '" + kind + "'");
        }
      } catch (RuntimeException e) {
        // Something changed that this node cannot follow: let the subscribers read it.
        log.warn("unreadable message on {}: {}", channel, TypedJson.abbreviate(message), e);
        unknown();
      }
    }

    /** Tells the feeds that messages may be missing, so they read the context. */
    private void unknown() {
      reset(null, UNKNOWN_VERSION);
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

    private void reset(String epoch, long version) {
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
