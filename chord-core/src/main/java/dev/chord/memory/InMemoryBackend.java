package dev.chord.memory;

import dev.chord.Context;
import dev.chord.DeltaRecord;
import dev.chord.spi.Backend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ContextInfo;
import dev.chord.spi.ContextPage;
import dev.chord.spi.Feed;
import dev.chord.spi.History;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Keeps contexts and deltas in this JVM's heap. The default backend of {@link dev.chord.Chord}.
 * Several {@code Chord} instances may share one.
 *
 * <p>Concurrency: each context has an {@code Entry} whose monitor guards its history and head;
 * writes to one context are serialized by it, different contexts never share a lock. The head is
 * also published through a volatile field, so {@link #get} takes no lock. An entry removed by a
 * delete is marked dead under its monitor; a writer that finds a dead entry looks the id up again.
 * Subscribers get each context's records and resets in the order they happened, never under the
 * monitor (see {@code publish}); the queue they wait in belongs to the id, not the entry, so a
 * delete's reset stays ahead of the next incarnation's records. Contexts are kept in a skip-list
 * map so that listing for cleanup has a stable order by id. The counts behind {@link
 * #contextCount()} and {@link #deltaCount()} change under the same monitors as what they count.
 */
public final class InMemoryBackend implements Backend {
  private final ConcurrentSkipListMap<String, Entry> entries = new ConcurrentSkipListMap<>();
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private final LongAdder contexts = new LongAdder();
  private final LongAdder deltas = new LongAdder();

  private InMemoryBackend() {}

  /** A new, empty in-memory backend. */
  public static InMemoryBackend create() {
    return new InMemoryBackend();
  }

  @Override
  public Optional<Context> get(String contextId) {
    Entry entry = entries.get(contextId);
    return entry == null ? Optional.empty() : Optional.ofNullable(entry.head);
  }

  @Override
  public CommitResult commit(Commit commit) {
    String id = commit.contextId();
    while (true) {
      Entry entry =
          commit.expectedVersion() == 0
              ? entries.computeIfAbsent(id, k -> new Entry())
              : entries.get(id);
      if (entry == null) {
        return new CommitResult.Conflict(Optional.empty());
      }
      Topic topic;
      synchronized (entry) {
        if (entry.dead) {
          continue;
        }
        Context head = entry.head;
        boolean sameBase =
            head == null
                ? commit.creates()
                : head.version() == commit.expectedVersion()
                    && head.epoch().equals(commit.expectedEpoch());
        if (!sameBase) {
          return new CommitResult.Conflict(Optional.ofNullable(entry.head));
        }
        entry.deltas.addLast(commit.delta());
        int stored = 1;
        while (entry.deltas.size() > commit.maxDeltas()) {
          entry.deltas.pollFirst();
          stored--;
        }
        // A full history trims one for the one it gains: the count stays and is not touched.
        if (stored != 0) {
          deltas.add(stored);
        }
        if (head == null) {
          contexts.increment();
        }
        entry.head = commit.context();
        topic = queueForSubscribers(id, commit.delta());
      }
      publish(topic);
      return CommitResult.COMMITTED;
    }
  }

  /**
   * Queues {@code event} (a {@link DeltaRecord} or a {@link Reset}) for the subscribers of {@code
   * contextId}. Called under the entry's monitor, so events queue in the order they happened; and
   * after the change is made, so a subscriber registering meanwhile either is seen here or sees the
   * change in its own read (both are volatile) and misses nothing.
   *
   * @return the topic to {@link #publish}, or {@code null} when nobody listens
   */
  private @Nullable Topic queueForSubscribers(String contextId, Object event) {
    Topic topic = topics.get(contextId);
    if (topic != null) {
      topic.add(event);
    }
    return topic;
  }

  /**
   * Hands the topic's queued events to its feeds in order, outside every entry monitor. Publishing
   * straight from each committing thread would let a thread that was paused between its commit and
   * its publish deliver its record after later ones (even after a later incarnation's records);
   * Chord would then fill the hole from history, but a slow publisher may be so far behind that the
   * record is already trimmed. So one thread at a time publishes (whoever finds the flag free) and
   * the others only queue; the outer loop re-checks the queue after the flag is released so that an
   * event queued just before is not left waiting for the next commit.
   */
  private static void publish(@Nullable Topic topic) {
    if (topic == null) {
      return;
    }
    while (true) {
      if (!topic.publishing.compareAndSet(false, true)) {
        return;
      }
      try {
        Object next;
        while ((next = topic.poll()) != null) {
          for (Feed feed : topic.feeds) {
            if (next instanceof DeltaRecord record) {
              feed.onDelta(record);
            } else {
              Reset reset = (Reset) next;
              feed.onReset(reset.epoch(), reset.version());
            }
          }
        }
      } finally {
        topic.publishing.set(false);
      }
      if (topic.isIdle()) {
        return;
      }
    }
  }

  @Override
  public Optional<History> history(String contextId, long afterVersion, int maxDeltas) {
    Entry entry = entries.get(contextId);
    if (entry == null) {
      return Optional.empty();
    }
    synchronized (entry) {
      Context head = entry.head;
      if (entry.dead || head == null) {
        return Optional.empty();
      }
      long behind = head.version() - afterVersion;
      if (behind < 1 || behind > maxDeltas) {
        return Optional.of(new History(head.version(), head.insertedAt(), List.of(), head.epoch()));
      }
      ArrayList<DeltaRecord> newer = new ArrayList<>((int) Math.min(behind, entry.deltas.size()));
      Iterator<DeltaRecord> newestFirst = entry.deltas.descendingIterator();
      while (newestFirst.hasNext()) {
        DeltaRecord record = newestFirst.next();
        if (record.version() <= afterVersion) {
          break;
        }
        newer.add(record);
      }
      Collections.reverse(newer);
      return Optional.of(new History(head.version(), head.insertedAt(), newer, head.epoch()));
    }
  }

  @Override
  public void restore(Context context) {
    restore(context, false);
  }

  @Override
  public boolean restoreIfAbsent(Context context) {
    return restore(context, true);
  }

  private boolean restore(Context context, boolean onlyIfAbsent) {
    Objects.requireNonNull(context.epoch(), "a restored context needs an epoch");
    while (true) {
      Entry entry = entries.computeIfAbsent(context.contextId(), k -> new Entry());
      Topic topic;
      synchronized (entry) {
        if (entry.dead) {
          continue;
        }
        if (onlyIfAbsent && entry.head != null) {
          return false;
        }
        deltas.add(-entry.deltas.size());
        entry.deltas.clear();
        if (entry.head == null) {
          contexts.increment();
        }
        entry.head = context;
        topic =
            queueForSubscribers(context.contextId(), new Reset(context.epoch(), context.version()));
      }
      publish(topic);
      return true;
    }
  }

  @Override
  public boolean delete(String contextId) {
    return remove(contextId, null, 0);
  }

  @Override
  public boolean deleteIf(String contextId, String epoch, long version) {
    return remove(contextId, Objects.requireNonNull(epoch, "epoch"), version);
  }

  /**
   * Deletes the entry if it is at {@code epoch} and {@code version}, or whatever it is at when
   * {@code epoch} is {@code null}.
   */
  private boolean remove(String contextId, @Nullable String epoch, long version) {
    Entry entry = entries.get(contextId);
    if (entry == null) {
      return false;
    }
    Topic topic;
    synchronized (entry) {
      if (entry.dead || entry.head == null) {
        return false;
      }
      if (epoch != null && (entry.head.version() != version || !entry.head.epoch().equals(epoch))) {
        return false;
      }
      entry.dead = true;
      contexts.decrement();
      deltas.add(-entry.deltas.size());
      // Queued before the entry leaves the map: a recreate (a new entry) queues after this reset.
      topic = queueForSubscribers(contextId, new Reset(entry.head.epoch(), 0));
      entries.remove(contextId, entry);
    }
    publish(topic);
    return true;
  }

  @Override
  public long deleteDeltasBefore(String contextId, long insertedBefore) {
    Entry entry = entries.get(contextId);
    if (entry == null) {
      return 0;
    }
    synchronized (entry) {
      long dropped = 0;
      while (!entry.deltas.isEmpty() && entry.deltas.peekFirst().insertedAt() < insertedBefore) {
        entry.deltas.pollFirst();
        dropped++;
      }
      deltas.add(-dropped);
      return dropped;
    }
  }

  @Override
  public ContextPage listContexts(@Nullable String cursor, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    Map<String, Entry> rest = cursor == null ? entries : entries.tailMap(cursor, false);
    List<ContextInfo> page = new ArrayList<>(Math.min(limit, 1024));
    String last = null;
    for (Map.Entry<String, Entry> e : rest.entrySet()) {
      Context head = e.getValue().head;
      if (head == null) {
        continue;
      }
      page.add(new ContextInfo(head.contextId(), head.version(), head.insertedAt(), head.epoch()));
      last = e.getKey();
      if (page.size() == limit) {
        break;
      }
    }
    boolean more = last != null && entries.higherKey(last) != null;
    return new ContextPage(page, more ? last : null);
  }

  /**
   * How many contexts this backend holds now. Cheap (a counter kept on every write, no scan), so it
   * can back a metrics gauge; exact when no write is under way.
   */
  public long contextCount() {
    return contexts.sum();
  }

  /**
   * How many deltas this backend stores now, over all contexts; as cheap as {@link #contextCount}.
   */
  public long deltaCount() {
    return deltas.sum();
  }

  @Override
  public AutoCloseable subscribe(String contextId, Feed feed) {
    topics.compute(
        contextId,
        (k, topic) -> {
          Topic out = topic == null ? new Topic() : topic;
          out.feeds.add(feed);
          return out;
        });
    return () ->
        topics.computeIfPresent(
            contextId,
            (k, topic) -> {
              topic.feeds.remove(feed);
              return topic.feeds.isEmpty() ? null : topic;
            });
  }

  /** A delete (version 0) or restore, queued for subscribers in order with the records. */
  private record Reset(String epoch, long version) {}

  /** One context: its head and its history, guarded by the entry's monitor. */
  private static final class Entry {
    volatile @Nullable Context head;
    boolean dead;
    final ArrayDeque<DeltaRecord> deltas = new ArrayDeque<>();
  }

  /** The subscribers of one id and the events waiting for them; lives as long as they do. */
  private static final class Topic {
    final List<Feed> feeds = new CopyOnWriteArrayList<>();

    /**
     * Records and resets not yet handed to the feeds, in the order they happened; guarded by this.
     */
    private final ArrayDeque<Object> unpublished = new ArrayDeque<>();

    /** Set while one thread hands {@link #unpublished} events to the feeds. */
    final AtomicBoolean publishing = new AtomicBoolean();

    synchronized void add(Object event) {
      unpublished.addLast(event);
    }

    synchronized @Nullable Object poll() {
      return unpublished.pollFirst();
    }

    synchronized boolean isIdle() {
      return unpublished.isEmpty();
    }
  }
}
