package dev.chord.redis;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.chord.BackendException;
import dev.chord.Context;
import dev.chord.DeltaRecord;
import dev.chord.spi.Backend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ContextInfo;
import dev.chord.spi.ContextPage;
import dev.chord.spi.Feed;
import dev.chord.spi.History;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link Backend} on Redis or Redis Cluster, so that many application nodes share contexts,
 * versions, deltas and pushes.
 *
 * <pre>{@code
 * Chord chord = Chord.builder().backend(RedisBackend.connect("redis://127.0.0.1:6379")).build();
 * Chord onCluster = Chord.builder()
 *     .backend(RedisBackend.connectCluster("redis://127.0.0.1:7101,redis://127.0.0.1:7102"))
 *     .build();
 * Chord tuned = Chord.builder()
 *     .backend(RedisBackend.builder("redis://127.0.0.1:6379")
 *         .keyPrefix("app1")
 *         .timeout(Duration.ofMillis(500))
 *         .cacheBytes(256L << 20)
 *         .build())
 *     .build();
 * }</pre>
 *
 * <p>Every write, and every read of a context this backend has seen before, is one call of one
 * server-side Lua script on the context's keys, so it is atomic and one round trip; a commit checks
 * the stored (epoch, version) against the commit's expected ones, writes only the changed fields,
 * appends the delta to the log, trims the log, and publishes the delta, all or nothing. The first
 * read of a context on a node reads it whole with plain commands (one round trip, checked for
 * consistency). The layout is described in this module's README.
 *
 * <p>Epochs and times are Chord's: a create stores the epoch its commit brings, a restore the
 * restored context's, and {@code insertedAt} is stored in milliseconds as given, never converted.
 *
 * <p>Each backend keeps, per context it has seen, the newest copy it knows, in a cache bounded by
 * the copies' approximate bytes and count ({@link Builder#cacheBytes}, {@link Builder#cacheSize}).
 * That copy is only an optimisation, never a judge: {@link #get} sends the (epoch, version) it
 * holds and gets back "same", the deltas since, or the whole context, so a read is always current
 * and usually tiny. {@link #getForCommit} hands it out unchecked, for writers: the script checks
 * every commit against the stored epoch and version, whatever this node holds, and the conflict
 * reply brings what the copy lacks. So in steady state an update through {@code Chord} is one round
 * trip, a sync is one, and a read is one.
 *
 * <p>Failures: an unreachable or slow Redis makes every method throw {@link BackendException}
 * within the timeout; the backend reconnects by itself. A commit that times out may still have been
 * applied by Redis (the reply was lost, not the write): the caller learns the outcome from the next
 * read, as with any remote store.
 *
 * <p>Instances are thread-safe; {@link #close()} releases the connections and threads.
 */
public final class RedisBackend implements Backend {
  /** Default of {@link Builder#timeout}. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  /** Default of {@link Builder#keyPrefix}. */
  public static final String DEFAULT_KEY_PREFIX = "chord";

  /** Default of {@link Builder#cacheSize}. */
  public static final int DEFAULT_CACHE_SIZE = 10_000;

  /** Default of {@link Builder#cacheBytes}: 64 MiB. */
  public static final long DEFAULT_CACHE_BYTES = 64L << 20;

  /** Default of {@link Builder#deliveryThreads}. */
  public static final int DEFAULT_DELIVERY_THREADS = 4;

  /** Default of {@link Builder#subscriptionCheckInterval}: 5 s. */
  public static final Duration DEFAULT_SUBSCRIPTION_CHECK_INTERVAL = Duration.ofSeconds(5);

  /**
   * A reader this many versions behind or less gets the deltas since its version instead of the
   * whole context. Deltas are usually far smaller than contexts, but many of them are not.
   */
  private static final int MAX_CATCH_UP = 64;

  /** Plain full reads tried before the atomic but costlier scripted one; see readFull. */
  private static final int FULL_READ_ATTEMPTS = 3;

  /** SCAN calls one listing page may make before it returns, so a page is quick even if sparse. */
  private static final int MAX_SCANS_PER_PAGE = 16;

  private final RedisLink link;
  private final Keys keys;
  private final Script script;
  private final Channels channels;

  /** Whether {@link #known} holds anything: both of the builder's bounds are above 0. */
  private final boolean caching;

  /** The newest copy this backend knows of each context; a hint, see above. */
  private final Cache<String, Held> known;

  private volatile boolean closed;

  private RedisBackend(RedisLink link, Builder b) {
    this.link = link;
    this.keys = new Keys(b.keyPrefix);
    this.script = new Script(b.timeout);
    this.caching = b.cacheSize > 0 && b.cacheBytes > 0;
    // Each copy weighs at least cacheBytes / cacheSize, so that both bounds hold: the weights add
    // up to at most cacheBytes, hence at most cacheSize copies (exact while that quotient fits an
    // int weight, which is any quotient up to 2 GiB).
    long least = caching ? (b.cacheBytes + b.cacheSize - 1) / b.cacheSize : 0;
    this.known =
        Caffeine.newBuilder()
            .maximumWeight(b.cacheBytes)
            .<String, Held>weigher(
                (id, held) -> (int) Math.min(Integer.MAX_VALUE, Math.max(least, held.bytes())))
            // Upkeep runs on the threads that use the cache, in small amortized steps: no pool.
            .executor(Runnable::run)
            .build();
    this.channels =
        new Channels(link, keys, script, b.deliveryThreads, b.subscriptionCheckInterval);
  }

  /**
   * Connects to one Redis server with every default.
   *
   * @param uri a Redis URI such as {@code redis://127.0.0.1:6379} or {@code
   *     redis://:password@host:6379/2}
   * @throws IllegalArgumentException if the URI is malformed
   * @throws BackendException if Redis cannot be reached
   */
  public static RedisBackend connect(String uri) {
    return builder(uri).build();
  }

  /**
   * Connects to a Redis Cluster with every default.
   *
   * @param uris one or more seed nodes, comma-separated: {@code
   *     redis://127.0.0.1:7101,redis://127.0.0.1:7102}; the rest of the cluster is discovered
   * @throws IllegalArgumentException if a URI is malformed
   * @throws BackendException if the cluster cannot be reached
   */
  public static RedisBackend connectCluster(String uris) {
    return clusterBuilder(uris).build();
  }

  /** A builder for a backend on one Redis server; see {@link #connect}. */
  public static Builder builder(String uri) {
    return new Builder(List.of(parse(uri)), false);
  }

  /** A builder for a backend on a Redis Cluster; see {@link #connectCluster}. */
  public static Builder clusterBuilder(String uris) {
    Objects.requireNonNull(uris, "uris");
    List<RedisURI> seeds = new ArrayList<>();
    for (String uri : uris.split(",")) {
      if (!uri.isBlank()) {
        seeds.add(parse(uri.strip()));
      }
    }
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("no cluster node in '" + uris + "'");
    }
    return new Builder(seeds, true);
  }

  private static RedisURI parse(String uri) {
    Objects.requireNonNull(uri, "uri");
    try {
      return RedisURI.create(uri.contains("://") ? uri : "redis://" + uri);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a Redis URI: '" + uri + "': " + e.getMessage(), e);
    }
  }

  // ---- reads ----

  @Override
  public Optional<Context> get(String contextId) {
    Held held = known.getIfPresent(contextId);
    Optional<Held> now;
    if (held == null) {
      now = readFull(contextId);
    } else {
      ScriptCall get =
          call(ScriptCall.Op.GET, contextId).known(held.context()).maxBehind(MAX_CATCH_UP);
      now = Replies.head(contextId, run(get)).flatMap(head -> resolve(contextId, head, held));
    }
    if (now.isEmpty()) {
      known.invalidate(contextId);
      return Optional.empty();
    }
    return Optional.of(remember(now.get()));
  }

  /**
   * Reads a whole context: HGETALL of its data hash between two reads of its head, sent together.
   * Every write changes the head (a commit the version, a restore or re-create the epoch), so equal
   * heads mean the data is the snapshot of that head. After a few unequal reads (writes keep
   * landing in between) the script reads it instead, atomically but at a higher cost to Redis.
   */
  private Optional<Held> readFull(String contextId) {
    checkOpen();
    String[] keys = this.keys.of(contextId);
    for (int attempt = 0; attempt < FULL_READ_ATTEMPTS; attempt++) {
      RedisFuture<List<KeyValue<String, String>>> first;
      RedisFuture<Map<String, String>> fields;
      RedisFuture<List<KeyValue<String, String>>> second;
      try {
        RedisClusterAsyncCommands<String, String> commands = link.commands();
        first = commands.hmget(keys[0], "v", "at", "e");
        fields = commands.hgetall(keys[1]);
        second = commands.hmget(keys[0], "v", "at", "e");
      } catch (RedisException e) {
        throw new BackendException("Redis read failed: " + e.getMessage(), e);
      }
      List<String> head = values(script.await(first, "HMGET"));
      Map<String, String> data = script.await(fields, "HGETALL");
      if (!head.equals(values(script.await(second, "HMGET")))) {
        continue;
      }
      if (head.get(0) == null) {
        return Optional.empty();
      }
      Context context =
          new Context(
              contextId,
              Long.parseLong(head.get(0)),
              LeafLayout.rebuild(data),
              Long.parseLong(head.get(1)),
              head.get(2));
      return Optional.of(new Held(context, LeafLayout.size(data)));
    }
    return readAtomically(contextId);
  }

  /** Reads a whole context with the script, in one atomic step. */
  Optional<Held> readAtomically(String contextId) {
    ScriptCall get = call(ScriptCall.Op.GET, contextId).maxBehind(MAX_CATCH_UP).withData(true);
    return Replies.head(contextId, run(get)).flatMap(head -> resolve(contextId, head, null));
  }

  private static List<String> values(List<KeyValue<String, String>> head) {
    List<String> out = new ArrayList<>(head.size());
    for (KeyValue<String, String> kv : head) {
      out.add(kv.hasValue() ? kv.getValue() : null);
    }
    return out;
  }

  /**
   * The newest context this backend knows, without asking Redis if it knows one: the commit's
   * (epoch, version) check catches a stale copy, and its conflict reply brings what is missing. In
   * steady state this makes an update one round trip instead of two. The copy may be stale: {@code
   * Chord} confirms with {@link #get} before it reports "not found" or "nothing changed".
   */
  @Override
  public Optional<Context> getForCommit(String contextId) {
    Held held = known.getIfPresent(contextId);
    return held != null ? Optional.of(held.context()) : get(contextId);
  }

  @Override
  public Optional<History> history(String contextId, long afterVersion, int maxDeltas) {
    ScriptCall history =
        call(ScriptCall.Op.HISTORY, contextId).afterVersion(afterVersion).maxBehind(maxDeltas);
    return Replies.history(contextId, run(history))
        .map(h -> new History(h.version(), h.insertedAt(), h.records(), h.epoch()));
  }

  // ---- writes ----

  /**
   * Stores the commit if Redis holds its base, ({@link Commit#expectedEpoch()}, {@link
   * Commit#expectedVersion()}), whatever this node's copy is: the script compares with what is
   * stored. The copy only shapes a conflict reply: the script sends "same" or the deltas since when
   * the copy is of the stored epoch, and the whole context otherwise, so a copy of another
   * incarnation is never built on.
   */
  @Override
  public CommitResult commit(Commit commit) {
    String id = commit.contextId();
    Held held = known.getIfPresent(id);
    LeafLayout.Writes writes = LeafLayout.of(commit.delta());
    ScriptCall call =
        commitCall(commit, writes, held == null ? null : held.context(), commit.expectedEpoch());
    if (Replies.commit(id, run(call)) instanceof Replies.Conflict conflict) {
      Optional<Held> current = conflict.head().flatMap(head -> resolve(id, head, held));
      if (current.isEmpty()) {
        known.invalidate(id);
      }
      return new CommitResult.Conflict(current.map(this::remember));
    }
    if (caching) {
      remember(new Held(commit.context(), sizeAfter(commit, writes, held)));
    }
    return CommitResult.COMMITTED;
  }

  /**
   * The size of the context a commit stored: its base's plus the delta's change, if the base is
   * empty (a create) or the copy held; else (the copy was replaced or evicted meanwhile) counted
   * afresh.
   */
  private static long sizeAfter(Commit commit, LeafLayout.Writes writes, Held held) {
    if (commit.creates()) {
      return writes.sizeChange();
    }
    Context base = held == null ? null : held.context();
    if (base != null
        && base.epoch().equals(commit.expectedEpoch())
        && base.version() == commit.expectedVersion()) {
      return held.bytes() + writes.sizeChange();
    }
    return LeafLayout.size(LeafLayout.fieldsOf(commit.context().data()));
  }

  /**
   * The script call of {@code commit} with its {@code writes}, sending {@code held}'s (version,
   * epoch) for the conflict reply and {@code expectedEpoch} as the stored epoch the write requires
   * ({@code null}: none, for a create). Separate from {@link #commit} so tests can send what Chord
   * never does.
   */
  ScriptCall commitCall(
      Commit commit, LeafLayout.Writes writes, Context held, String expectedEpoch) {
    String id = commit.contextId();
    return call(ScriptCall.Op.COMMIT, id)
        .known(held)
        .maxBehind(MAX_CATCH_UP)
        .expectedVersion(commit.expectedVersion())
        .expectedEpoch(expectedEpoch)
        .version(commit.context().version())
        .epoch(commit.context().epoch())
        .insertedAt(commit.context().insertedAt())
        .maxDeltas(commit.maxDeltas())
        .id(id)
        .channel(keys.channel(id))
        .message(writes.message())
        .deletes(writes.deletes())
        .sets(writes.sets());
  }

  /**
   * Stores {@code context} with its own epoch and time; subscribers on every node get a reset to
   * its (epoch, version).
   */
  @Override
  public void restore(Context context) {
    restore(context, false);
  }

  /** A restore that the script refuses, atomically, if a context of that id is stored. */
  @Override
  public boolean restoreIfAbsent(Context context) {
    return restore(context, true);
  }

  private boolean restore(Context context, boolean onlyIfAbsent) {
    Objects.requireNonNull(context.epoch(), "a restored context needs its epoch");
    String id = context.contextId();
    List<String> fields = LeafLayout.fieldsOf(context.data());
    ScriptCall call =
        call(ScriptCall.Op.RESTORE, id)
            .version(context.version())
            .epoch(context.epoch())
            .insertedAt(context.insertedAt())
            .id(id)
            .channel(keys.channel(id))
            .sets(fields);
    if (onlyIfAbsent) {
      call.expectedVersion(0);
    }
    boolean restored = Replies.count(run(call)) == 1;
    if (restored && caching) {
      // Replaces the copy even if it is of a higher version: a restore may go back.
      known.put(id, new Held(context, LeafLayout.size(fields)));
    }
    return restored;
  }

  /** Deletes the context; subscribers on every node get a reset: the deleted epoch, version 0. */
  @Override
  public boolean delete(String contextId) {
    return deleteAt(contextId, call(ScriptCall.Op.DELETE, contextId));
  }

  @Override
  public boolean deleteIf(String contextId, String epoch, long version) {
    Objects.requireNonNull(epoch, "epoch");
    return deleteAt(
        contextId,
        call(ScriptCall.Op.DELETE, contextId).expectedVersion(version).expectedEpoch(epoch));
  }

  private boolean deleteAt(String contextId, ScriptCall delete) {
    boolean deleted = Replies.deleted(run(delete.channel(keys.channel(contextId))));
    if (deleted) {
      known.invalidate(contextId);
    }
    return deleted;
  }

  /** Drops old deltas; {@code insertedBefore} is in milliseconds, as the times are stored. */
  @Override
  public long deleteDeltasBefore(String contextId, long insertedBefore) {
    return Replies.count(run(call(ScriptCall.Op.TRIM, contextId).insertedBefore(insertedBefore)));
  }

  // ---- listing ----

  /**
   * Lists contexts with SCAN over their meta keys (on every master of a cluster), then reads their
   * heads in one pipelined batch. The cursor carries the node, its SCAN cursor and the keys a SCAN
   * step found beyond {@code limit}. SCAN returns every key that exists for the whole listing; a
   * key may come twice only if Redis resizes its key table meanwhile.
   */
  @Override
  public ContextPage listContexts(String cursor, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    checkOpen();
    ListCursor at = cursor == null ? ListCursor.START : ListCursor.parse(cursor);
    Set<String> tags = new LinkedHashSet<>(at.pending);
    String node = at.node;
    String scan = at.scan;
    List<String> nodes = link.scanNodes();
    ScanArgs args = ScanArgs.Builder.matches(keys.metaPattern()).limit(Math.max(100, limit));
    for (int calls = 0; tags.size() < limit && calls < MAX_SCANS_PER_PAGE; calls++) {
      if (scan == null) {
        node = nextNode(nodes, node);
        if (node == null) {
          break;
        }
        scan = "0";
      }
      KeyScanCursor<String> step;
      try {
        step = script.await(link.node(node).scan(ScanCursor.of(scan), args), "SCAN");
      } catch (RedisException e) {
        throw new BackendException("Redis SCAN failed: " + e.getMessage(), e);
      }
      for (String key : step.getKeys()) {
        String tag = keys.tagOfMeta(key);
        if (tag != null) {
          tags.add(tag);
        }
      }
      scan = step.isFinished() ? null : step.getCursor();
    }
    List<String> all = new ArrayList<>(tags);
    List<String> page = all.subList(0, Math.min(limit, all.size()));
    List<String> pending = all.subList(page.size(), all.size());
    boolean done =
        pending.isEmpty() && (node == null || scan == null && nextNode(nodes, node) == null);
    return new ContextPage(
        heads(page), done ? null : new ListCursor(node, scan, List.copyOf(pending)).toString());
  }

  private List<ContextInfo> heads(List<String> tags) {
    List<RedisFuture<List<KeyValue<String, String>>>> replies = new ArrayList<>(tags.size());
    for (String tag : tags) {
      replies.add(link.commands().hmget(keys.meta(tag), "v", "at", "e"));
    }
    List<ContextInfo> infos = new ArrayList<>(tags.size());
    for (int i = 0; i < tags.size(); i++) {
      List<String> head = values(script.await(replies.get(i), "HMGET"));
      if (!head.contains(null)) {
        infos.add(
            new ContextInfo(
                Keys.idOfTag(tags.get(i)),
                Long.parseLong(head.get(0)),
                Long.parseLong(head.get(1)),
                head.get(2)));
      }
    }
    return infos;
  }

  /** The first node after {@code node} in {@code nodes} (sorted); {@code ""} is before all. */
  private static String nextNode(List<String> nodes, String node) {
    for (String candidate : nodes) {
      if (candidate.compareTo(node) > 0) {
        return candidate;
      }
    }
    return null;
  }

  /**
   * Where a listing goes on: {@code node|scanCursor|tag,tag…}; a {@code null} scan cursor ({@code
   * -} in text) means that node is finished.
   */
  private record ListCursor(String node, String scan, List<String> pending) {
    static final ListCursor START = new ListCursor("", null, List.of());

    static ListCursor parse(String text) {
      String[] parts = text.split("\\|", -1);
      if (parts.length != 3) {
        throw new IllegalArgumentException("not a cursor of this backend: '" + text + "'");
      }
      return new ListCursor(
          parts[0],
          parts[1].equals("-") ? null : parts[1],
          parts[2].isEmpty() ? List.of() : List.of(parts[2].split(",")));
    }

    @Override
    public String toString() {
      return node + "|" + (scan == null ? "-" : scan) + "|" + String.join(",", pending);
    }
  }

  // ---- push ----

  /**
   * Tells {@code feed} of the deltas committed to the context by any node, and of its deletes and
   * restores by any node (resets), through Redis pub/sub, in order, on one of this backend's
   * delivery threads (see {@link Builder#deliveryThreads}). Returns once Redis has confirmed the
   * subscription. After a lost connection, or when more messages wait for the feed than {@code
   * Channels.MAX_QUEUED}, or when a check finds the stored head ahead of what the feed was told and
   * no message on the way ({@link Builder#subscriptionCheckInterval}), the feed gets a reset
   * without epoch, so that Chord reads what it missed (see the README).
   *
   * @throws BackendException if Redis cannot be reached
   */
  @Override
  public AutoCloseable subscribe(String contextId, Feed feed) {
    Objects.requireNonNull(feed, "feed");
    checkOpen();
    return channels.subscribe(contextId, feed);
  }

  /** Closes the connections and stops the delivery threads. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    channels.close();
    link.close();
    known.invalidateAll();
  }

  // ---- helpers ----

  /** A call of {@code op} on the context's keys, its arguments to be set. */
  private ScriptCall call(ScriptCall.Op op, String contextId) {
    return new ScriptCall(op, keys.of(contextId));
  }

  /** Runs one call of the script. */
  List<Object> run(ScriptCall call) {
    checkOpen();
    return script.call(link.commands(), call);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this RedisBackend is closed");
    }
  }

  /**
   * The context {@code head} describes, given the copy the caller sent the version and epoch of
   * (the script answers "same" or "deltas" only if that copy is of the stored epoch): that copy,
   * that copy with the deltas applied, the context rebuilt from the fields sent, or else read now,
   * when it may also be gone.
   */
  private Optional<Held> resolve(String contextId, Replies.Head head, Held held) {
    if (head instanceof Replies.Same) {
      return Optional.of(held);
    }
    if (head instanceof Replies.Deltas deltas) {
      Map<String, Object> data = held.context().data();
      long bytes = held.bytes();
      for (DeltaRecord record : deltas.records()) {
        data = record.delta().applyTo(data);
        bytes += LeafLayout.sizeChange(record.delta());
      }
      return Optional.of(
          new Held(
              new Context(contextId, head.version(), data, head.insertedAt(), head.epoch()),
              bytes));
    }
    if (head instanceof Replies.Full full) {
      Map<String, Object> data = LeafLayout.rebuild(full.fields());
      return Optional.of(
          new Held(
              new Context(contextId, head.version(), data, head.insertedAt(), head.epoch()),
              LeafLayout.size(full.fields())));
    }
    return readFull(contextId);
  }

  /**
   * Keeps {@code now} as the known copy unless a newer one of the same epoch is held: concurrent
   * readers and writers may finish in any order, and an older copy of the same incarnation must not
   * replace a newer one (a copy of another incarnation always does: the newest read wins). Returns
   * {@code now}'s context.
   */
  private Context remember(Held now) {
    if (caching) {
      known
          .asMap()
          .merge(
              now.context().contextId(),
              now,
              (old, fresh) ->
                  old.context().epoch().equals(fresh.context().epoch())
                          && old.context().version() > fresh.context().version()
                      ? old
                      : fresh);
    }
    return now.context();
  }

  /** The copies this node holds now, by context id, once pending evictions are done. */
  Map<String, Held> held() {
    known.cleanUp();
    return Map.copyOf(known.asMap());
  }

  /**
   * A copy of a context and its approximate size in bytes, by which the cache weighs it ({@link
   * LeafLayout#size}).
   */
  record Held(Context context, long bytes) {}

  /**
   * Configures a {@link RedisBackend}; start from {@link RedisBackend#builder} or {@link
   * RedisBackend#clusterBuilder}. Values are checked when set.
   */
  public static final class Builder {
    private final List<RedisURI> uris;
    private final boolean cluster;
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int cacheSize = DEFAULT_CACHE_SIZE;
    private long cacheBytes = DEFAULT_CACHE_BYTES;
    private int deliveryThreads = DEFAULT_DELIVERY_THREADS;
    private Duration subscriptionCheckInterval = DEFAULT_SUBSCRIPTION_CHECK_INTERVAL;

    private Builder(List<RedisURI> uris, boolean cluster) {
      this.uris = uris;
      this.cluster = cluster;
    }

    /**
     * The first part of every key and channel name (default {@code chord}): keys are {@code
     * <prefix>:{<tag>}:meta|data|log}. Lets several applications share one Redis.
     *
     * @throws IllegalArgumentException if empty or containing a brace
     */
    public Builder keyPrefix(String prefix) {
      new Keys(prefix);
      this.keyPrefix = prefix;
      return this;
    }

    /**
     * How long a command, or a connection attempt, may take before it fails with {@link
     * BackendException} (default 2 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * At most how many contexts' copies this node keeps (default 10,000); 0 keeps none, so every
     * read transfers the whole context and {@link RedisBackend#getForCommit} always reads. Both
     * this bound and {@link #cacheBytes} hold: each copy counts as at least {@code cacheBytes /
     * cacheSize} bytes, so many small contexts are bounded by this count and a few large ones by
     * the bytes.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder cacheSize(int contexts) {
      if (contexts < 0) {
        throw new IllegalArgumentException("cacheSize must be at least 0, was " + contexts);
      }
      this.cacheSize = contexts;
      return this;
    }

    /**
     * About how many bytes of memory this node's copies of contexts may take (default 64 MiB); 0
     * keeps none, like {@code cacheSize(0)}. A copy is weighed by its stored form: the characters
     * of its fields' names and values plus 72 bytes per field (a map entry, a leaf or a nested map,
     * each one field), which is close to the heap the copy takes. Copies are evicted by Caffeine's
     * policy (those used recently and often stay); a context larger than the bound is not kept. See
     * also {@link #cacheSize}.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder cacheBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("cacheBytes must be at least 0, was " + bytes);
      }
      this.cacheBytes = bytes;
      return this;
    }

    /**
     * How many threads deliver pushes to subscribers (default 4). Each context's messages are
     * delivered in order, one at a time, by one of them; a context whose subscriber is slow or
     * blocks holds up one thread, and the other contexts go on on the others.
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder deliveryThreads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("deliveryThreads must be at least 1, was " + threads);
      }
      this.deliveryThreads = threads;
      return this;
    }

    private static final Duration MIN_CHECK_INTERVAL = Duration.ofMillis(10);
    private static final Duration MAX_CHECK_INTERVAL = Duration.ofDays(1);

    /**
     * How often the stored heads of quiet subscribed contexts are checked (default 5 s); {@link
     * Duration#ZERO} checks none. Pub/sub delivers at most once: a message lost while connected (a
     * cluster-bus link reset, a failover between publish and delivery) would leave a subscriber
     * behind until the context's next commit, or for good if none comes. Every interval, the
     * subscribed contexts that heard nothing since the previous check have their (epoch, version)
     * read, all in one pipelined batch of HMGETs (one round trip per Redis node, one HMGET per such
     * context); a context whose subscribers were not told of that head, found so by two checks in a
     * row with nothing delivered in between (a message merely late is not taken for lost), gets a
     * reset without epoch, and Chord reads what it missed: the deltas from the history, or the
     * current state as a reset. So a lost last message reaches the subscribers within about two to
     * three intervals, never twice and never out of order. With checks on, the first subscription
     * to a context, and each reset without epoch, also read the head once, just before the
     * subscribers read (on the delivery thread, bounded by the command timeout).
     *
     * @throws IllegalArgumentException unless {@link Duration#ZERO} or between 10 ms and 1 day
     */
    public Builder subscriptionCheckInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (!interval.isZero()
          && (interval.compareTo(MIN_CHECK_INTERVAL) < 0
              || interval.compareTo(MAX_CHECK_INTERVAL) > 0)) {
        throw new IllegalArgumentException(
            "subscriptionCheckInterval must be ZERO (off) or between "
                + MIN_CHECK_INTERVAL
                + " and "
                + MAX_CHECK_INTERVAL
                + ", was "
                + interval);
      }
      this.subscriptionCheckInterval = interval;
      return this;
    }

    /**
     * Connects.
     *
     * @throws BackendException if Redis cannot be reached within the timeout
     */
    public RedisBackend build() {
      RedisLink link;
      try {
        link =
            cluster ? RedisLink.cluster(uris, timeout) : RedisLink.standalone(uris.get(0), timeout);
      } catch (RedisException e) {
        throw new BackendException("cannot connect to Redis at " + uris + ": " + e.getMessage(), e);
      }
      return new RedisBackend(link, this);
    }
  }
}
