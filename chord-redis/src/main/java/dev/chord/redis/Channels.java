package dev.chord.redis;

import dev.chord.BackendException;
import dev.chord.DeltaRecord;
import dev.chord.Epochs;
import dev.chord.json.TypedJson;
import dev.chord.spi.DeliveryQueue;
import dev.chord.spi.Feed;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
 *
 * <p>Quiet subscriptions: pub/sub is at most once even while connected (a Redis Cluster forwards a
 * message to the subscriber's node over its cluster bus, whose links are reset without notice; a
 * client past its output buffer limit is dropped), and a lost last message leaves a feed behind
 * with nothing later to reveal the hole. So, unless the check interval is zero, each context's
 * actor keeps the head, (epoch, version) or "absent", that its feeds have been brought to: by the
 * messages delivered, or by a head read just before a reset without epoch was delivered (the feeds
 * read after it, so they are at least there). Every interval, the contexts that heard nothing since
 * the previous tick have their stored heads read in one pipelined batch (HMGET of the meta hash,
 * routed to each context's node), and each head is queued to its actor behind what waits there. A
 * stored head that the feeds are not at, found by two checks in a row with nothing delivered in
 * between (so that a message that was only late, published before a read and received after it, is
 * not taken for lost), is signalled as a reset without epoch: the feeds read what they missed
 * (Chord catches up from the history, or resets), and nothing is delivered twice or out of order.
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
  private final RedisLink link;
  private final Keys keys;
  private final Script script;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();

  /** Between checks of quiet subscriptions; zero: none. */
  private final Duration checkInterval;

  /**
   * The delivery threads. Its queue holds at most one task per context (see {@link Topic}), so it
   * is bounded by the number of subscribed contexts.
   */
  private final ExecutorService delivery;

  /** The next check, on Lettuce's event executors; guarded by this. */
  private Future<?> nextCheck;

  private volatile boolean closed;

  Channels(RedisLink link, Keys keys, Script script, int deliveryThreads, Duration checkInterval) {
    this.link = link;
    this.connection = link.pubSub();
    this.keys = keys;
    this.script = script;
    this.checkInterval = checkInterval;
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
    scheduleCheck();
  }

  private boolean checking() {
    return !checkInterval.isZero();
  }

  /** Subscribes {@code feed}; returns once Redis has confirmed the channel subscription. */
  AutoCloseable subscribe(String contextId, Feed feed) {
    String channel = keys.channel(contextId);
    Topic topic;
    boolean created = false;
    synchronized (topics) {
      topic = topics.get(channel);
      if (topic == null) {
        topic = new Topic(contextId, channel);
        topics.put(channel, topic);
        topic.ready = connection.async().subscribe(channel).toCompletableFuture();
        created = true;
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
    if (created && checking()) {
      // The head before the caller's first read: its feed starts there or later, and every later
      // change is published on the channel, now subscribed.
      subscribed.offer(new Baseline(subscribed.readHead()));
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
      topic.heard.set(true);
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
      topic.heard.set(true);
      topic.offer(UNKNOWN);
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      if (nextCheck != null) {
        nextCheck.cancel(false);
      }
    }
    connection.removeListener(this);
    delivery.shutdownNow();
  }

  // ---- checks of quiet subscriptions ----

  /** Schedules the next check on Lettuce's event executors, unless checks are off or closed. */
  private synchronized void scheduleCheck() {
    if (checking() && !closed) {
      nextCheck =
          connection
              .getResources()
              .eventExecutorGroup()
              .schedule(this::check, checkInterval.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Reads the stored heads of the contexts that heard nothing since the previous check and have no
   * check waiting in their queue, all sent at once without waiting for replies, and queues each
   * reply to its context; then schedules the next check. Never blocks: the replies are handled
   * where Lettuce completes them, and they only queue. Every reply comes, within the command
   * timeout at the latest (see {@link RedisLink}), so the next check is always scheduled.
   */
  private void check() {
    List<Topic> quiet = new ArrayList<>();
    List<CompletableFuture<List<KeyValue<String, String>>>> replies = new ArrayList<>();
    try {
      RedisClusterAsyncCommands<String, String> commands = link.commands();
      for (Topic topic : topics.values()) {
        if (!topic.heard.getAndSet(false) && !topic.checkQueued.get()) {
          CompletableFuture<List<KeyValue<String, String>>> reply = topic.sendHeadRead(commands);
          quiet.add(topic);
          replies.add(reply);
        }
      }
    } catch (RuntimeException e) {
      log.debug("a check of quiet subscriptions failed to start", e);
    }
    if (quiet.isEmpty()) {
      scheduleCheck();
      return;
    }
    var unused =
        CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
            .whenComplete(
                (all, failure) -> {
                  try {
                    if (failure != null) {
                      log.debug("a check of quiet subscriptions read only some heads", failure);
                    }
                    for (int i = 0; i < quiet.size(); i++) {
                      CompletableFuture<List<KeyValue<String, String>>> reply = replies.get(i);
                      Head head =
                          reply.isDone() && !reply.isCompletedExceptionally()
                              ? Head.of(reply.join())
                              : null;
                      if (head != null) {
                        quiet.get(i).queueCheck(head);
                      }
                    }
                  } finally {
                    scheduleCheck();
                  }
                });
  }

  /**
   * A stored head: its epoch and version, or {@link #ABSENT} ({@code null}, 0) where nothing is
   * stored.
   */
  private record Head(String epoch, long version) {
    static final Head ABSENT = new Head(null, 0);

    /**
     * The head in an HMGET of the meta hash's {@code v} and {@code e}; {@code null}: unreadable.
     */
    static Head of(List<KeyValue<String, String>> fields) {
      if (fields.size() != 2) {
        return null;
      }
      if (!fields.get(0).hasValue()) {
        return ABSENT;
      }
      try {
        long version = Long.parseLong(fields.get(0).getValue());
        return version > 0 && fields.get(1).hasValue()
            ? new Head(fields.get(1).getValue(), version)
            : null;
      } catch (NumberFormatException e) {
        return null;
      }
    }

    /**
     * Whether feeds at this head are behind {@code stored}: another incarnation, or an older
     * version of the same one. (A newer version of the same one was delivered after {@code stored}
     * was read.)
     */
    boolean behind(Head stored) {
      return !Objects.equals(epoch, stored.epoch) || version < stored.version;
    }
  }

  /** In a queue: the stored head a check read. */
  private record Check(Head stored) {}

  /** In a queue: the stored head read before the first feed's first read. */
  private record Baseline(Head stored) {}

  /**
   * The feeds of one context's channel and the messages waiting for them; run by a delivery thread,
   * it delivers some of them (see the class comment).
   */
  private final class Topic {
    final String contextId;
    final String channel;
    final String metaKey;
    final List<Feed> feeds = new CopyOnWriteArrayList<>();

    /** Set by the first subscription confirmation; later ones are resubscriptions. */
    final AtomicBoolean confirmed = new AtomicBoolean();

    /** Whether a message came since the previous check; a new topic is not checked at once. */
    final AtomicBoolean heard = new AtomicBoolean(true);

    /** Whether a {@link Check} waits in the queue: at most one does. */
    final AtomicBoolean checkQueued = new AtomicBoolean();

    /** Completes when Redis confirmed the first subscription; guarded by the topics' monitor. */
    CompletableFuture<?> ready;

    /** Raw messages, {@link #UNKNOWN}, {@link Check}s and {@link Baseline}s, for the feeds. */
    private final DeliveryQueue<Object> queue;

    /**
     * The head the feeds have been brought to, {@code null} while unknown; only the actor (one
     * delivery at a time) reads and writes it, as the next three.
     */
    private Head at;

    /** Messages and resets delivered to the feeds so far. */
    private long delivered;

    /** {@link #delivered} when a check last found the feeds behind; -1: it did not. */
    private long behindAt = -1;

    Topic(String contextId, String channel) {
      this.contextId = contextId;
      this.channel = channel;
      this.metaKey = keys.of(contextId)[0];
      this.queue =
          new DeliveryQueue<>(
              delivery, MAX_QUEUED, BATCH, UNKNOWN, this::deliver, this::overflowed);
    }

    /**
     * The queue dropped its messages for a reset: a {@link Check} among them is gone too, so the
     * next tick may queue one again (a second one queued meanwhile is harmless).
     */
    private void overflowed() {
      checkQueued.set(false);
      log.warn(
          "subscribers of '{}' fell {} messages behind: dropped them for a reset (a re-read)",
          contextId,
          MAX_QUEUED);
    }

    /** Queues {@code item} for the feeds (see {@link DeliveryQueue}). */
    void offer(Object item) {
      queue.offer(item);
    }

    void queueCheck(Head stored) {
      checkQueued.set(true);
      offer(new Check(stored));
    }

    CompletableFuture<List<KeyValue<String, String>>> sendHeadRead(
        RedisClusterAsyncCommands<String, String> commands) {
      try {
        return commands.hmget(metaKey, "v", "e").toCompletableFuture();
      } catch (RedisException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    /** The stored head, read now; {@code null} if it cannot be read. */
    Head readHead() {
      try {
        return Head.of(script.await(sendHeadRead(link.commands()), "HMGET"));
      } catch (BackendException e) {
        log.debug("cannot read the head of '{}'", contextId, e);
        return null;
      }
    }

    private void deliver(Object item) {
      if (item == UNKNOWN) {
        unknown();
      } else if (item instanceof Check check) {
        checkQueued.set(false);
        check(check.stored());
      } else if (item instanceof Baseline baseline) {
        if (at == null) {
          at = baseline.stored();
        }
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
          reached(version == 0 ? Head.ABSENT : new Head(epoch, version));
        } else {
          throw new IllegalArgumentException("unknown kind '" + kind + "'");
        }
      } catch (RuntimeException e) {
        // Something changed that this node cannot follow: let the subscribers read it.
        log.warn("unreadable message on {}: {}", channel, TypedJson.abbreviate(message), e);
        unknown();
      }
    }

    /**
     * Tells the feeds that messages may be missing, so they read the context; with checks on, reads
     * the head first, which they are at least at after their reads.
     */
    private void unknown() {
      Head stored = checking() ? readHead() : null;
      reset(null, UNKNOWN_VERSION);
      at = stored;
    }

    /**
     * A check's stored head: the feeds are up to date, or behind for the first time (a message may
     * be late: wait for the next check), or behind again with nothing delivered since (lost: the
     * feeds re-read, and will be at least at this head).
     */
    private void check(Head stored) {
      if (at != null && !at.behind(stored)) {
        behindAt = -1;
      } else if (behindAt == delivered) {
        log.warn(
            "subscribers of '{}' heard nothing of {} v{} (pub/sub lost a message): they re-read",
            contextId,
            stored.epoch(),
            stored.version());
        behindAt = -1;
        reset(null, UNKNOWN_VERSION);
        at = stored;
      } else {
        behindAt = delivered;
      }
    }

    /**
     * Moves {@link #at} to where a delivered message took the feeds, unless it is the same
     * incarnation's and not ahead (a message queued behind a reset's head read).
     */
    private void reached(Head head) {
      if (at == null || at.behind(head)) {
        at = head;
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
      delivered++;
      reached(new Head(record.epoch(), record.version()));
    }

    private void reset(String epoch, long version) {
      for (Feed feed : feeds) {
        try {
          feed.onReset(epoch, version);
        } catch (RuntimeException e) {
          log.warn("subscriber of '{}' failed on a reset to {} {}", contextId, epoch, version, e);
        }
      }
      delivered++;
    }
  }
}
