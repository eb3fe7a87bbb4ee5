package dev.chord.redis;

import dev.chord.BackendException;
import dev.chord.DeltaRecord;
import io.lettuce.core.RedisException;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-node push: the commit script publishes every delta on its context's channel; this class
 * holds one channel subscription per subscribed context on the backend's pub/sub connection and
 * hands each message to that context's sinks.
 *
 * <p>Threads: Lettuce reports messages on its event loop, which must never run user code or block;
 * every message is handed to one dispatcher thread, so sinks run there, one at a time, in the
 * order Redis sent the messages.
 *
 * <p>Gaps: pub/sub drops what is published while the connection is down. Lettuce resubscribes
 * after a reconnect; when a channel's subscription is confirmed for the second time or later,
 * the newest stored delta of that context is fed to its sinks. Chord drops it if it has seen it,
 * or notices the gap and fills it from the history, so a subscriber catches up even if nothing is
 * committed after the outage.
 */
final class Feed extends RedisPubSubAdapter<String, String> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Feed.class);

  private final StatefulRedisPubSubConnection<String, String> connection;
  private final Keys keys;
  private final Script script;
  /** The newest stored delta of a context, if any: what a resubscribed channel is fed. */
  private final Function<String, Optional<DeltaRecord>> newest;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private final ExecutorService dispatcher =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "chord-redis-feed");
            t.setDaemon(true);
            return t;
          });

  Feed(
      StatefulRedisPubSubConnection<String, String> connection,
      Keys keys,
      Script script,
      Function<String, Optional<DeltaRecord>> newest) {
    this.connection = connection;
    this.keys = keys;
    this.script = script;
    this.newest = newest;
    connection.addListener(this);
  }

  /** Subscribes {@code sink}; returns once Redis has confirmed the channel subscription. */
  AutoCloseable subscribe(String contextId, Consumer<DeltaRecord> sink) {
    String channel = keys.channel(contextId);
    Topic topic;
    synchronized (topics) {
      topic = topics.get(channel);
      if (topic == null) {
        topic = new Topic(contextId, channel);
        topics.put(channel, topic);
        topic.ready = connection.async().subscribe(channel).toCompletableFuture();
      }
      topic.sinks.add(sink);
    }
    Topic subscribed = topic;
    try {
      script.await(subscribed.ready, "SUBSCRIBE");
    } catch (BackendException e) {
      remove(subscribed, sink);
      throw e;
    }
    return () -> remove(subscribed, sink);
  }

  private void remove(Topic topic, Consumer<DeltaRecord> sink) {
    synchronized (topics) {
      topic.sinks.remove(sink);
      if (topic.sinks.isEmpty() && topics.remove(topic.channel, topic)) {
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
      dispatch(() -> topic.deliver(decode(topic, message)));
    }
  }

  @Override
  public void subscribed(String channel, long count) {
    Topic topic = topics.get(channel);
    if (topic != null && !topic.confirmed.compareAndSet(false, true)) {
      dispatch(() -> catchUp(topic));
    }
  }

  private void catchUp(Topic topic) {
    try {
      newest.apply(topic.contextId).ifPresent(topic::deliver);
    } catch (BackendException e) {
      log.warn("catching up '{}' after a reconnect failed; the next delta will", topic.contextId, e);
    }
  }

  private static DeltaRecord decode(Topic topic, String message) {
    try {
      return JsonCodec.readDeltaMessage(topic.contextId, message);
    } catch (RuntimeException e) {
      log.warn("unreadable delta on {}: {}", topic.channel, JsonCodec.abbreviate(message), e);
      return null;
    }
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

  /** The sinks of one context's channel. */
  private static final class Topic {
    final String contextId;
    final String channel;
    final List<Consumer<DeltaRecord>> sinks = new CopyOnWriteArrayList<>();
    /** Set by the first subscription confirmation; later ones are resubscriptions. */
    final AtomicBoolean confirmed = new AtomicBoolean();
    /** Completes when Redis confirmed the first subscription; guarded by the topics' monitor. */
    CompletableFuture<?> ready;

    Topic(String contextId, String channel) {
      this.contextId = contextId;
      this.channel = channel;
    }

    void deliver(DeltaRecord record) {
      if (record == null) {
        return;
      }
      for (Consumer<DeltaRecord> sink : sinks) {
        try {
          sink.accept(record);
        } catch (RuntimeException e) {
          log.warn("subscriber of '{}' failed on version {}", contextId, record.version(), e);
        }
      }
    }
  }
}
