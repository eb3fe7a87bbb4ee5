package dev.chord.redis;

import dev.chord.BackendException;
import dev.chord.DeltaRecord;
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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-node push: the script publishes every commit, delete and restore on its context's channel
 * ({@link #DELTA} and {@link #RESET} messages); this class holds one channel subscription per
 * subscribed context on the backend's pub/sub connection and hands each message to that context's
 * {@link Feed}s.
 *
 * <p>Threads: Lettuce reports messages on its event loop, which must never run user code or block;
 * every message is handed to one dispatcher thread, so feeds are called there, one at a time, in
 * the order Redis sent the messages. Redis runs each script atomically and delivers one channel's
 * messages in publishing order, so resets arrive in order with the deltas.
 *
 * <p>Epochs: when Redis confirms a channel's first subscription, the context's {@link Position} is
 * read (one script call) to learn its epoch; every message then carries the epoch after its change.
 *
 * <p>Gaps: pub/sub drops what is published while the connection is down. Lettuce resubscribes
 * after a reconnect; when a channel's subscription is confirmed for the second time or later, the
 * position is read again. If its epoch is not the one the channel last told of, a
 * delete or restore was missed: the feeds get a reset to the version the current incarnation's
 * stored deltas start from (so Chord takes them from the history). Then the newest stored delta is
 * fed: Chord drops it if it has seen it, or notices the gap and fills it from the history, so a
 * subscriber catches up even if nothing is committed after the outage. If that read fails, it is
 * tried again before the channel's next message is handled.
 *
 * <p>That read may be ahead of messages already queued behind it. A queued delta of an
 * incarnation the read has already passed (its epoch is not the current one, and it is not a
 * version 1, which starts an incarnation) is skipped, so it cannot reach a subscriber after the
 * reset. (Two resets within that moment can still show a subscriber the middle one's deltas briefly; the
 * last reset message, queued too, sets it right.)
 */
final class Channels extends RedisPubSubAdapter<String, String> implements AutoCloseable {
  /** A commit: {@code d <epoch> <delta message>}. */
  static final String DELTA = "d";
  /** A delete or restore: {@code r <epoch> <version>}, epoch {@link #ABSENT} after a delete. */
  static final String RESET = "r";
  /** The epoch of a context that does not exist. */
  static final String ABSENT = "-";

  private static final Logger log = LoggerFactory.getLogger(Channels.class);

  private final StatefulRedisPubSubConnection<String, String> connection;
  private final Keys keys;
  private final Script script;
  /** Where a context's versions stand now: read after each (re)subscription of its channel. */
  private final Function<String, Position> position;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private final ExecutorService dispatcher =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "chord-redis-feed");
            t.setDaemon(true);
            return t;
          });

  Channels(
      StatefulRedisPubSubConnection<String, String> connection,
      Keys keys,
      Script script,
      Function<String, Position> position) {
    this.connection = connection;
    this.keys = keys;
    this.script = script;
    this.position = position;
    connection.addListener(this);
  }

  /**
   * Where a context stands: its epoch ({@link #ABSENT} if it does not exist), the version its
   * stored deltas start from (the first stored delta's version minus 1, else the current version,
   * 0 if absent), and its newest stored delta or {@code null}.
   */
  record Position(String epoch, long base, DeltaRecord newest) {
    static final Position GONE = new Position(ABSENT, 0, null);
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
          connection.async().unsubscribe(topic.channel);
        } catch (RedisException e) {
          // Disconnected: the channel is gone from Lettuce's resubscribe list either way.
          log.debug("unsubscribe from {} failed", topic.channel, e);
        }
      }
    }
  }

  @Override
  public void message(String channel, String message) {
    Topic topic = topics.get(channel);
    if (topic != null) {
      dispatch(
          () -> {
            if (topic.lost) {
              locate(topic, true);
            }
            topic.receive(message);
          });
    }
  }

  /**
   * Called on Lettuce's event loop when Redis confirms a subscription, before any message of the
   * channel that follows it, so the task queued here runs before those messages are handled.
   */
  @Override
  public void subscribed(String channel, long count) {
    Topic topic = topics.get(channel);
    if (topic != null) {
      boolean again = topic.confirmed.getAndSet(true);
      dispatch(() -> locate(topic, again));
    }
  }

  /**
   * Learns the context's epoch; after a resubscription ({@code again}) also makes up for what was
   * published while disconnected (see the class comment).
   */
  private void locate(Topic topic, boolean again) {
    Position now;
    topic.lost = false;
    try {
      now = position.apply(topic.contextId);
    } catch (BackendException | IllegalStateException e) {
      log.warn("reading '{}' after (re)subscribing failed; trying again on its next message", topic.contextId, e);
      topic.lost = again;
      return;
    }
    if (again) {
      if (topic.epoch != null && !topic.epoch.equals(now.epoch())) {
        topic.reset(now.base());
      }
      if (now.newest() != null) {
        topic.delta(now.newest());
      }
    }
    topic.epoch = now.epoch();
  }

  private void dispatch(Runnable task) {
    try {
      dispatcher.execute(task);
    } catch (RejectedExecutionException closed) {
      // The backend is closing: nobody is listening any more.
    }
  }

  @Override
  public void close() {
    connection.removeListener(this);
    dispatcher.shutdownNow();
  }

  /** The feeds of one context's channel. */
  private static final class Topic {
    final String contextId;
    final String channel;
    final List<Feed> feeds = new CopyOnWriteArrayList<>();
    /** Set by the first subscription confirmation; later ones are resubscriptions. */
    final AtomicBoolean confirmed = new AtomicBoolean();
    /** Completes when Redis confirmed the first subscription; guarded by the topics' monitor. */
    CompletableFuture<?> ready;
    /**
     * The epoch of the context as of the last message or read handled, {@code null} until the
     * first; only the dispatcher thread uses it.
     */
    String epoch;

    /** Whether the read after a resubscription failed; only the dispatcher thread uses it. */
    boolean lost;

    Topic(String contextId, String channel) {
      this.contextId = contextId;
      this.channel = channel;
    }

    /** Handles a message: {@code <kind> <epoch> <body>}. */
    void receive(String message) {
      int first = message.indexOf(' ');
      int second = first < 0 ? -1 : message.indexOf(' ', first + 1);
      try {
        if (second < 0) {
          throw new IllegalArgumentException("not <kind> <epoch> <body>");
        }
        String kind = message.substring(0, first);
        String body = message.substring(second + 1);
        String of = message.substring(first + 1, second);
        if (kind.equals(DELTA)) {
          DeltaRecord record = JsonCodec.readDeltaMessage(contextId, body);
          if (epoch != null && !epoch.equals(of) && record.version() != 1) {
            log.debug("skipping version {} of '{}': its incarnation is gone", record.version(), contextId);
            return;
          }
          epoch = of;
          delta(record);
        } else if (kind.equals(RESET)) {
          long version = Long.parseLong(body);
          epoch = of;
          reset(version);
        } else {
          throw new IllegalArgumentException("unknown kind '" + kind + "'");
        }
      } catch (RuntimeException e) {
        log.warn("unreadable message on {}: {}", channel, JsonCodec.abbreviate(message), e);
      }
    }

    void delta(DeltaRecord record) {
      for (Feed feed : feeds) {
        try {
          feed.onDelta(record);
        } catch (RuntimeException e) {
          log.warn("subscriber of '{}' failed on version {}", contextId, record.version(), e);
        }
      }
    }

    void reset(long version) {
      for (Feed feed : feeds) {
        try {
          feed.onReset(version);
        } catch (RuntimeException e) {
          log.warn("subscriber of '{}' failed on a reset to version {}", contextId, version, e);
        }
      }
    }
  }
}
