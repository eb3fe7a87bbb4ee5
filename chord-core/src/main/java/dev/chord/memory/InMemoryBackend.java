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
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps contexts and deltas in this JVM's heap. The default backend of {@link dev.chord.Chord}.
 * Several {@code Chord} instances may share one.
 *
 * <p>Concurrency: each context has an {@code Entry} whose monitor guards its history and head;
 * writes to one context are serialized by it, different contexts never share a lock. The head is
 * also published through a volatile field, so {@link #get} takes no lock. An entry removed by a
 * delete is marked dead under its monitor; a writer that finds a dead entry looks the id up again.
 * Subscribers get each context's records in commit order, never under the monitor (see {@code
 * publish}). Contexts are kept in a skip-list map so that listing for cleanup has a stable order by
 * id.
 */
public final class InMemoryBackend implements Backend {
  private final ConcurrentSkipListMap<String, Entry> entries = new ConcurrentSkipListMap<>();
  private final Map<String, List<Feed>> subscribers = new ConcurrentHashMap<>();

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
      synchronized (entry) {
        if (entry.dead) {
          continue;
        }
        long stored = entry.head == null ? 0 : entry.head.version();
        if (stored != commit.expectedVersion()) {
          return new CommitResult.Conflict(Optional.ofNullable(entry.head));
        }
        entry.deltas.addLast(commit.delta());
        while (entry.deltas.size() > commit.maxDeltas()) {
          entry.deltas.pollFirst();
        }
        entry.head = commit.context();
        if (!queueForSubscribers(id, entry, commit.delta())) {
          return CommitResult.COMMITTED;
        }
      }
      publish(id, entry);
      return CommitResult.COMMITTED;
    }
  }

  /**
   * Hands the entry's unpublished events to the subscribers in order, outside the entry's
   * monitor. Publishing straight from each committing thread would let a thread that was paused
   * between its commit and its publish deliver its record after later ones; Chord would then fill
   * the hole from history, but a slow publisher may be so far behind that the record is already
   * trimmed. So one thread at a time publishes (whoever finds the flag free) and the others only
   * queue; the outer loop re-checks the queue after the flag is released so that a record queued
   * just before is not left waiting for the next commit.
   */
  private void publish(String contextId, Entry entry) {
    while (true) {
      if (!entry.publishing.compareAndSet(false, true)) {
        return;
      }
      try {
        Object next;
        while ((next = pollUnpublished(entry)) != null) {
          List<Feed> feeds = subscribers.get(contextId);
          if (feeds != null) {
            for (Feed feed : feeds) {
              if (next instanceof DeltaRecord record) {
                feed.onDelta(record);
              } else {
                feed.onReset((Long) next);
              }
            }
          }
        }
      } finally {
        entry.publishing.set(false);
      }
      synchronized (entry) {
        if (entry.unpublished.isEmpty()) {
          return;
        }
      }
    }
  }

  /**
   * Queues {@code event} (a {@link DeltaRecord}, or a {@code Long} version for a reset) for the
   * subscribers of {@code contextId}; called under the entry's monitor, so events queue in the
   * order they happened. Read after the change is made: a subscriber registering meanwhile either
   * is seen here or sees the change in its own read (both are volatile), so it misses nothing.
   *
   * @return whether there are subscribers, that is whether {@link #publish} must run
   */
  private boolean queueForSubscribers(String contextId, Entry entry, Object event) {
    if (!subscribers.containsKey(contextId)) {
      return false;
    }
    entry.unpublished.addLast(event);
    return true;
  }

  private static Object pollUnpublished(Entry entry) {
    synchronized (entry) {
      return entry.unpublished.pollFirst();
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
        return Optional.of(new History(head.version(), head.insertedAt(), List.of()));
      }
      ArrayList<DeltaRecord> newer = new ArrayList<>((int) behind);
      Iterator<DeltaRecord> newestFirst = entry.deltas.descendingIterator();
      while (newestFirst.hasNext()) {
        DeltaRecord record = newestFirst.next();
        if (record.version() <= afterVersion) {
          break;
        }
        newer.add(record);
      }
      java.util.Collections.reverse(newer);
      return Optional.of(new History(head.version(), head.insertedAt(), newer));
    }
  }

  @Override
  public void restore(Context context) {
    while (true) {
      Entry entry = entries.computeIfAbsent(context.contextId(), k -> new Entry());
      synchronized (entry) {
        if (entry.dead) {
          continue;
        }
        entry.deltas.clear();
        entry.head = context;
        if (!queueForSubscribers(context.contextId(), entry, context.version())) {
          return;
        }
      }
      publish(context.contextId(), entry);
      return;
    }
  }

  @Override
  public boolean delete(String contextId) {
    return deleteIf(contextId, -1);
  }

  @Override
  public boolean deleteIfVersion(String contextId, long version) {
    return deleteIf(contextId, version);
  }

  /** Deletes the entry if it is at {@code version}, or at any version when that is -1. */
  private boolean deleteIf(String contextId, long version) {
    Entry entry = entries.get(contextId);
    if (entry == null) {
      return false;
    }
    synchronized (entry) {
      if (entry.dead || entry.head == null) {
        return false;
      }
      if (version != -1 && entry.head.version() != version) {
        return false;
      }
      entry.dead = true;
      entries.remove(contextId, entry);
      if (!queueForSubscribers(contextId, entry, 0L)) {
        return true;
      }
    }
    publish(contextId, entry);
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
      return dropped;
    }
  }

  @Override
  public ContextPage listContexts(String cursor, int limit) {
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
      page.add(new ContextInfo(head.contextId(), head.version(), head.insertedAt()));
      last = e.getKey();
      if (page.size() == limit) {
        break;
      }
    }
    boolean more = last != null && entries.higherKey(last) != null;
    return new ContextPage(page, more ? last : null);
  }

  @Override
  public AutoCloseable subscribe(String contextId, Feed feed) {
    subscribers.compute(
        contextId,
        (k, feeds) -> {
          List<Feed> out = feeds == null ? new CopyOnWriteArrayList<>() : feeds;
          out.add(feed);
          return out;
        });
    return () ->
        subscribers.computeIfPresent(
            contextId,
            (k, feeds) -> {
              feeds.remove(feed);
              return feeds.isEmpty() ? null : feeds;
            });
  }

  /** One context: its head and its history, guarded by the entry's monitor. */
  private static final class Entry {
    volatile Context head;
    boolean dead;
    final ArrayDeque<DeltaRecord> deltas = new ArrayDeque<>();

    /** Records and resets not yet handed to the subscribers, in the order they happened. */
    final ArrayDeque<Object> unpublished = new ArrayDeque<>();

    /** Set while one thread hands {@link #unpublished} events to the subscribers. */
    final AtomicBoolean publishing = new AtomicBoolean();
  }
}
