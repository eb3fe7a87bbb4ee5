package dev.chord.server;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.Epochs;
import dev.chord.VersionConflictException;
import dev.chord.spi.Snapshots;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is connected to a context: each live connection may declare a presence value, which this
 * server keeps under a key of the context it owns, {@code /presence/<connection id>}, and removes
 * when the connection closes. Presence changes are ordinary commits, so versions, deltas, sync and
 * push work unchanged, and every client sees who is here in the context itself.
 *
 * <p>A node that dies cannot remove its connections' entries, so each node holds a lease: the
 * registry context {@value #REGISTRY} names every node, when its lease expires (renewed every third
 * of the lease) and the contexts it has entries in. Every node sweeps the registry as often: the
 * entries of a node whose lease expired are removed from those contexts, then the node from the
 * registry. A crashed node's presence is gone at most a lease and a third after its last renewal.
 *
 * <p>A connection's values are written at most every {@link #MIN_INTERVAL} (a faster client has its
 * last value written when the interval ends: nothing is lost, intermediate values are skipped), on
 * this class's own threads, in order, each as a conditional write that touches the connection's own
 * key only.
 */
final class Presence implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);

  /** The key of a context under which the entries live. */
  static final String KEY = "presence";

  /** The context naming every node, its lease and the contexts it has entries in. */
  static final String REGISTRY = HttpApi.RESERVED_PREFIX + "presence";

  /** The largest presence value, as JSON. */
  static final int MAX_VALUE_BYTES = 1024;

  /** The shortest time between two writes of one connection's presence. */
  static final Duration MIN_INTERVAL = Duration.ofMillis(100);

  /** How often a conditional write is retried after conflicts; far above real contention. */
  private static final int MAX_ATTEMPTS = 1000;

  private final Chord chord;
  private final Clock clock;
  private final Duration lease;
  private final String node = Epochs.next();
  private final AtomicLong connections = new AtomicLong();
  private final Set<String> registered = ConcurrentHashMap.newKeySet();
  private final ScheduledThreadPoolExecutor executor =
      new ScheduledThreadPoolExecutor(
          2,
          r -> {
            Thread t = new Thread(r, "chord-presence");
            t.setDaemon(true);
            return t;
          });

  Presence(Chord chord, Clock clock, Duration lease) {
    this.chord = chord;
    this.clock = clock;
    this.lease = lease;
    long every = Math.max(1, lease.toMillis() / 3);
    // Each pass reads the registry (one read per node every third of the lease, seen in the
    // Chord's metrics as a get); the first comes a third of the lease after the start.
    var unused =
        executor.scheduleWithFixedDelay(this::renewAndSweep, every, every, TimeUnit.MILLISECONDS);
  }

  /** This node's id: the prefix of its connections' keys. */
  String node() {
    return node;
  }

  /** The presence of a new live connection to {@code contextId}; nothing is written yet. */
  Entry open(String contextId) {
    return new Entry(contextId, node + "." + connections.incrementAndGet());
  }

  /**
   * The value of a presence message, {@code {"type": "presence", "set": value}}.
   *
   * @throws ApiException 400 if {@code value} is not JSON-like data or larger than {@value
   *     #MAX_VALUE_BYTES} bytes as JSON
   */
  static Object checkValue(Object value) {
    Object frozen;
    try {
      frozen = Snapshots.freezeValue(value);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "invalid_data", e.getMessage());
    }
    int bytes = Json.writeBytes(frozen).length;
    if (bytes > MAX_VALUE_BYTES) {
      throw new ApiException(
          400,
          "too_large",
          "a presence value is at most " + MAX_VALUE_BYTES + " bytes of JSON, was " + bytes);
    }
    return frozen;
  }

  /** One live connection's presence: the value it last asked for, written in order. */
  final class Entry {
    private final String contextId;
    private final String key;
    private Object wanted;
    private boolean declared;
    private boolean closed;
    private boolean dirty;
    private boolean scheduled;
    private long lastWrite = Long.MIN_VALUE / 2;

    private Entry(String contextId, String key) {
      this.contextId = contextId;
      this.key = key;
    }

    /** The key of this connection's entry under {@value #KEY}. */
    String key() {
      return key;
    }

    /** Declares {@code value} (already {@linkplain #checkValue checked}); written soon. */
    synchronized void set(Object value) {
      if (closed) {
        return;
      }
      wanted = value;
      declared = true;
      dirty = true;
      schedule();
    }

    /** The connection closed: its entry, if it declared one, is removed. */
    synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (declared) {
        dirty = true;
        schedule();
      }
    }

    /** Schedules a flush unless one is scheduled or running: one write at a time, in order. */
    private void schedule() {
      if (!scheduled) {
        scheduled = true;
        reschedule();
      }
    }

    private void reschedule() {
      long delay = Math.max(0, lastWrite + MIN_INTERVAL.toNanos() - System.nanoTime());
      var unused = executor.schedule(this::flush, delay, TimeUnit.NANOSECONDS);
    }

    private void flush() {
      Object value;
      boolean remove;
      synchronized (this) {
        if (!dirty) {
          scheduled = false;
          return;
        }
        dirty = false;
        value = wanted;
        remove = closed;
        lastWrite = System.nanoTime();
      }
      try {
        if (remove) {
          editEntries(contextId, entries -> entries.remove(key) == null ? null : entries);
        } else {
          register(contextId);
          editEntries(
              contextId,
              entries ->
                  entries.containsKey(key) && Objects.equals(entries.get(key), value)
                      ? null
                      : put(entries, key, value));
        }
      } catch (RuntimeException e) {
        log.warn("presence of {} in '{}' not written", key, contextId, e);
      }
      synchronized (this) {
        // Still "scheduled" while writing: a value or close that came meanwhile is written next,
        // never concurrently (a removal overtaken by an older value would leave a ghost).
        if (dirty) {
          reschedule();
        } else {
          scheduled = false;
        }
      }
    }
  }

  private static Map<String, Object> put(Map<String, Object> entries, String key, Object value) {
    entries.put(key, value);
    return entries;
  }

  /**
   * Applies {@code edit} to the entries of a context (a copy; {@code edit} returns {@code null} for
   * "nothing to change") and commits the result on top of the state it was read from, again on a
   * conflict. Nothing outside {@value #KEY} changes; an absent context is left absent.
   */
  private void editEntries(String contextId, UnaryOperator<Map<String, Object>> edit) {
    editData(
        contextId,
        false,
        data -> {
          Map<String, Object> entries =
              data.get(KEY) instanceof Map<?, ?> m ? copy(m) : new LinkedHashMap<>();
          Map<String, Object> edited = edit.apply(entries);
          if (edited == null) {
            return null;
          }
          if (edited.isEmpty()) {
            data.remove(KEY);
          } else {
            data.put(KEY, edited);
          }
          return data;
        });
  }

  /** {@link #editEntries} for the whole data; {@code create}: an absent context is created. */
  private void editData(String contextId, boolean create, UnaryOperator<Map<String, Object>> edit) {
    for (int attempt = 1; ; attempt++) {
      Optional<Context> current = chord.getContext(contextId);
      if (current.isEmpty() && !create) {
        return;
      }
      Map<String, Object> data = current.map(c -> copy(c.data())).orElseGet(LinkedHashMap::new);
      Map<String, Object> edited = edit.apply(data);
      if (edited == null) {
        return;
      }
      try {
        if (current.isPresent()) {
          chord.setContext(contextId, edited, current.get().version(), current.get().epoch());
        } else {
          chord.setContext(contextId, edited, 0, null);
        }
        return;
      } catch (VersionConflictException e) {
        if (attempt == MAX_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  private static Map<String, Object> copy(Map<?, ?> map) {
    Map<String, Object> copy = new LinkedHashMap<>();
    map.forEach((k, v) -> copy.put((String) k, v));
    return copy;
  }

  /** Names {@code contextId} among this node's contexts in the registry, once. */
  private void register(String contextId) {
    if (registered.add(contextId)) {
      editData(
          REGISTRY,
          true,
          data -> {
            Map<String, Object> self = nodeEntry(data, node);
            Map<String, Object> contexts =
                self.get("contexts") instanceof Map<?, ?> m ? copy(m) : new LinkedHashMap<>();
            contexts.put(contextId, true);
            self.put("contexts", contexts);
            self.put("expiresAt", clock.millis() + lease.toMillis());
            return data;
          });
    }
  }

  /** The registry's entry of {@code id} in {@code data}, a mutable copy put back in place. */
  private static Map<String, Object> nodeEntry(Map<String, Object> data, String id) {
    Map<String, Object> nodes =
        data.get("nodes") instanceof Map<?, ?> m ? copy(m) : new LinkedHashMap<>();
    Map<String, Object> entry =
        nodes.get(id) instanceof Map<?, ?> m ? copy(m) : new LinkedHashMap<>();
    nodes.put(id, entry);
    data.put("nodes", nodes);
    return entry;
  }

  /** Renews this node's lease, then removes what nodes with an expired lease left behind. */
  private void renewAndSweep() {
    try {
      long now = clock.millis();
      if (!registered.isEmpty()) {
        editData(
            REGISTRY,
            true,
            data -> {
              nodeEntry(data, node).put("expiresAt", now + lease.toMillis());
              return data;
            });
      }
      Map<String, Object> nodes =
          chord.getContext(REGISTRY).map(Context::data).map(d -> d.get("nodes")).orElse(null)
                  instanceof Map<?, ?> m
              ? copy(m)
              : Map.of();
      nodes.forEach(
          (id, entry) -> {
            if (!id.equals(node)
                && entry instanceof Map<?, ?> e
                && e.get("expiresAt") instanceof Number expiresAt
                && expiresAt.longValue() < now) {
              sweep(id, e.get("contexts") instanceof Map<?, ?> c ? c.keySet() : Set.of());
            }
          });
    } catch (RuntimeException e) {
      log.warn("presence lease renewal or sweep failed; retried in a third of the lease", e);
    }
  }

  /** Removes every entry of the dead node {@code id} from {@code contexts}, then the node. */
  private void sweep(String id, Set<?> contexts) {
    String prefix = id + ".";
    for (Object contextId : contexts) {
      editEntries(
          (String) contextId,
          entries -> entries.keySet().removeIf(k -> k.startsWith(prefix)) ? entries : null);
    }
    leave(id);
    log.info("removed the presence of node {}, whose lease expired", id);
  }

  /** Removes the node {@code id} from the registry. */
  private void leave(String id) {
    editData(
        REGISTRY,
        false,
        data -> {
          Map<String, Object> nodes =
              data.get("nodes") instanceof Map<?, ?> m ? copy(m) : new LinkedHashMap<>();
          if (nodes.remove(id) == null) {
            return null;
          }
          data.put("nodes", nodes);
          return data;
        });
  }

  /**
   * Stops renewing: the entries of this node's connections have been removed as they closed; this
   * node leaves the registry.
   */
  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!registered.isEmpty()) {
      try {
        leave(node);
      } catch (RuntimeException e) {
        log.warn("could not leave the presence registry; its lease will expire", e);
      }
    }
  }
}
