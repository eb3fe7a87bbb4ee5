package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.BackendException;
import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.DeltaRecord;
import dev.chord.Epochs;
import dev.chord.SyncResult;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ForwardingBackend;
import dev.chord.spi.Snapshots;
import dev.chord.tck.RecordingFeed;
import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import dev.chord.testsupport.Services;
import io.lettuce.core.ClientListArgs;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Redis backend under load, with faults, across nodes, against real Redis servers. */
class RedisBackendIT {
  private static final String PREFIX = "chord-it-" + UUID.randomUUID().toString().substring(0, 8);

  @AfterAll
  static void deleteKeys() {
    TestKeys.deleteKeys(RedisServers.standalone(), false, PREFIX);
  }

  private static Supplier<RedisBackend> nodes(boolean cluster) {
    return cluster
        ? () -> RedisBackend.clusterBuilder(RedisServers.cluster()).keyPrefix(PREFIX).build()
        : () -> RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX).build();
  }

  /**
   * Two nodes, eight threads each, every thread updating its own participant of one context: no
   * update is lost, versions are 1..N without holes, and the stored deltas replay to the final
   * state.
   */
  @ParameterizedTest(name = "cluster={0}")
  @ValueSource(booleans = {false, true})
  void twoNodes_sixteenWriters_loseNothing(boolean cluster) throws Exception {
    int threadsPerNode = 8;
    int updatesPerThread = 25;
    int total = 1 + 2 * threadsPerNode * updatesPerThread;
    String id = "race {" + UUID.randomUUID() + "} ü";
    Supplier<RedisBackend> node = nodes(cluster);
    try (Chord a = Chord.builder().backend(node.get()).deltaThreshold(total).build();
        Chord b = Chord.builder().backend(node.get()).deltaThreshold(total).build()) {
      a.setContext(id, Map.of("participants", Map.of()));
      ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerNode);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 2 * threadsPerNode; t++) {
          Chord chord = t % 2 == 0 ? a : b;
          String participant = "user " + t;
          futures.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < updatesPerThread; i++) {
                      chord.updateContext(
                          id,
                          Map.of(
                              "participants",
                              Map.of(participant, Map.of("n", i, "node", chord == a ? "a" : "b"))));
                    }
                  }));
        }
        for (Future<?> future : futures) {
          future.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }

      Context last = b.getContext(id).orElseThrow();
      assertThat(a.getContext(id)).contains(last);
      assertThat(last.version()).isEqualTo(total);
      @SuppressWarnings("unchecked")
      Map<String, Object> participants = (Map<String, Object>) last.data().get("participants");
      assertThat(participants).hasSize(2 * threadsPerNode);
      for (int t = 0; t < 2 * threadsPerNode; t++) {
        assertThat(participants.get("user " + t))
            .isEqualTo(Map.of("n", (long) updatesPerThread - 1, "node", t % 2 == 0 ? "a" : "b"));
      }
      SyncResult.Patch fromScratch = (SyncResult.Patch) a.syncContext(id, 0L);
      assertThat(fromScratch.delta().applyTo(Map.of())).isEqualTo(last.data());
      try (RedisBackend reader = node.get()) {
        List<DeltaRecord> all = reader.history(id, 0, total).orElseThrow().deltas();
        assertThat(all.stream().map(DeltaRecord::version).toList())
            .isEqualTo(LongStream.rangeClosed(1, total).boxed().toList());
        Map<String, Object> replayed = Map.of();
        for (DeltaRecord record : all) {
          replayed = record.delta().applyTo(replayed);
        }
        assertThat(replayed).isEqualTo(last.data());
      }
      a.deleteContext(id);
    }
  }

  /**
   * Round trips in steady state, counted by Redis itself (INFO commandstats on a server of this
   * test's own): a sync is one script call, and so is an update, through Chord (which starts writes
   * from {@link RedisBackend#getForCommit}, answered from the node's copy) or through the backend
   * directly.
   */
  @Test
  void steadyState_roundTripsCountedByRedis() throws Exception {
    try (RedisServer server = RedisServers.own();
        Chord chord = Chord.builder().backend(RedisBackend.connect(server.uri())).build();
        RedisBackend direct = RedisBackend.connect(server.uri())) {
      String id = "counted";
      chord.setContext(id, Map.of("participants", Map.of("ann", Map.of("status", "active"))));
      chord.updateContext(id, Map.of("warm", true)); // the script is cached from here on
      int n = 50;

      Map<String, Long> before = commandCalls(server);
      for (int i = 0; i < n; i++) {
        chord.updateContext(id, Map.of("participants", Map.of("ann", Map.of("n", i))));
      }
      Map<String, Long> afterUpdates = commandCalls(server);
      long version = chord.getContext(id).orElseThrow().version();
      Map<String, Long> beforeSyncs = commandCalls(server);
      for (int i = 0; i < n; i++) {
        assertThat(chord.syncContext(id, version - 1)).isInstanceOf(SyncResult.Patch.class);
      }
      Map<String, Long> afterSyncs = commandCalls(server);
      Context base = direct.getForCommit(id).orElseThrow();
      Map<String, Long> beforeDirect = commandCalls(server);
      for (int i = 0; i < n; i++) {
        Context current = direct.getForCommit(id).orElseThrow();
        Map<String, Object> data = new HashMap<>(current.data());
        data.put("direct", (long) i);
        Context next =
            new Context(id, current.version() + 1, Snapshots.freeze(data), i, current.epoch());
        DeltaRecord delta =
            new DeltaRecord(
                id,
                next.version(),
                dev.chord.Delta.diff(current.data(), next.data()),
                i,
                next.epoch());
        assertThat(direct.commit(new Commit(next, delta, current.version(), 100)))
            .isEqualTo(CommitResult.COMMITTED);
      }
      Map<String, Long> afterDirect = commandCalls(server);
      // The Chord's backend holds an older version now: its read brings the 50 deltas it lacks
      // (XRANGE), not the whole context (HGETALL).
      chord.getContext(id);
      Map<String, Long> afterCatchUp = commandCalls(server);

      // Redis counts the commands a script runs too: per update, the commit's HMGET, two HSETs
      // (data, meta), XADD and PUBLISH; per sync, HMGET and XRANGE. Any
      // command sent by the client besides EVALSHA would show up as an extra entry.
      long m = n;
      assertThat(difference(before, afterUpdates))
          .isEqualTo(Map.of("evalsha", m, "hmget", m, "hset", 2 * m, "xadd", m, "publish", m));
      assertThat(difference(beforeSyncs, afterSyncs))
          .isEqualTo(Map.of("evalsha", m, "hmget", m, "xrange", m));
      assertThat(difference(beforeDirect, afterDirect))
          .isEqualTo(Map.of("evalsha", m, "hmget", m, "hset", 2 * m, "xadd", m, "publish", m));
      assertThat(difference(afterDirect, afterCatchUp))
          .isEqualTo(Map.of("evalsha", 1L, "hmget", 1L, "xrange", 1L));
      assertThat(base.version()).isEqualTo(version);
    }
  }

  /** Calls per command since the server started, INFO itself left out. */
  private static Map<String, Long> commandCalls(RedisServer server) throws Exception {
    Map<String, Long> calls = new HashMap<>();
    String info =
        Services.run(
            List.of("redis-cli", "-p", Integer.toString(server.port()), "INFO", "commandstats"),
            10);
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("cmdstat_") && !line.startsWith("cmdstat_info:")) {
        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
        String count = line.substring(line.indexOf("calls=") + 6, line.indexOf(','));
        calls.put(name, Long.parseLong(count));
      }
    }
    return calls;
  }

  private static Map<String, Long> difference(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> out = new HashMap<>();
    after.forEach(
        (name, calls) -> {
          long delta = calls - before.getOrDefault(name, 0L);
          if (delta != 0) {
            out.put(name, delta);
          }
        });
    return out;
  }

  /**
   * Redis killed mid-run: operations fail with BackendException, nothing half-written; after a
   * restart on the same port the same Chord instance works again.
   */
  @Test
  void redisRestart_failsWithBackendException_thenSameInstanceRecovers() throws Exception {
    try (RedisServer server = RedisServers.own();
        Chord chord =
            Chord.builder()
                .backend(RedisBackend.builder(server.uri()).timeout(Duration.ofMillis(500)).build())
                .build()) {
      chord.setContext("fault", Map.of("n", 0));
      chord.updateContext("fault", Map.of("n", 1));

      server.kill();
      assertThatThrownBy(() -> chord.updateContext("fault", Map.of("n", 2)))
          .isInstanceOf(BackendException.class);
      assertThatThrownBy(() -> chord.getContext("fault")).isInstanceOf(BackendException.class);
      assertThatThrownBy(() -> chord.syncContext("fault", 1L)).isInstanceOf(BackendException.class);
      assertThatThrownBy(() -> chord.subscribe("fault", r -> {}))
          .isInstanceOf(BackendException.class);

      server.restart(); // empty: this server keeps no data on disk
      Context recreated = retry(() -> chord.setContext("fault", Map.of("n", 3)).context());
      assertThat(recreated.version()).isEqualTo(1);
      assertThat(chord.updateContext("fault", Map.of("n", 4)).context().version()).isEqualTo(2);
      assertThat(chord.getContext("fault").orElseThrow().data()).isEqualTo(Map.of("n", 4L));
    }
  }

  /**
   * Redis crashes (SIGKILL) in the middle of concurrent updates and restarts from its append-only
   * file: what it kept is whole: versions contiguous, the stored deltas replay to the stored
   * context, and every update that was acknowledged is there. The same Chord instances carry on.
   */
  @Test
  void crashDuringWrites_leavesNothingHalfWritten() throws Exception {
    try (RedisServer server = RedisServers.own("--appendonly", "yes", "--appendfsync", "always");
        Chord chord =
            Chord.builder()
                .backend(RedisBackend.builder(server.uri()).timeout(Duration.ofMillis(500)).build())
                .deltaThreshold(100_000)
                .build()) {
      String id = "crash";
      chord.setContext(id, Map.of("participants", Map.of()));
      int writers = 4;
      long[] acknowledged = new long[writers];
      java.util.concurrent.atomic.AtomicLong commits = new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.atomic.AtomicBoolean stop =
          new java.util.concurrent.atomic.AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < writers; t++) {
        int writer = t;
        futures.add(
            pool.submit(
                () -> {
                  for (long n = 1; !stop.get(); n++) {
                    try {
                      chord.updateContext(
                          id,
                          Map.of(
                              "participants",
                              Map.of("w" + writer, Map.of("n", n, "pad", "x".repeat(200)))));
                      acknowledged[writer] = n;
                      commits.incrementAndGet();
                    } catch (BackendException e) {
                      n--; // not acknowledged: retried with the same n
                      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
                    }
                  }
                }));
      }
      while (commits.get() < 200) {
        Thread.sleep(5);
      }
      server.kill();
      Thread.sleep(200);
      server.restart();
      retry(() -> chord.getContext(id));
      long afterRestart = commits.get();
      while (commits.get() < afterRestart + 50) {
        Thread.sleep(5);
      }
      stop.set(true);
      for (Future<?> future : futures) {
        future.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();

      Context last = chord.getContext(id).orElseThrow();
      List<DeltaRecord> all = historyOf(server, id);
      assertThat(all.stream().map(DeltaRecord::version).toList())
          .isEqualTo(LongStream.rangeClosed(1, last.version()).boxed().toList());
      Map<String, Object> replayed = Map.of();
      for (DeltaRecord record : all) {
        replayed = record.delta().applyTo(replayed);
      }
      assertThat(replayed).isEqualTo(last.data());
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> participants =
          (Map<String, Map<String, Object>>) last.data().get("participants");
      for (int t = 0; t < writers; t++) {
        assertThat((Long) participants.get("w" + t).get("n"))
            .isGreaterThanOrEqualTo(acknowledged[t]);
      }
    }
  }

  private static List<DeltaRecord> historyOf(RedisServer server, String id) {
    try (RedisBackend reader = RedisBackend.connect(server.uri())) {
      return reader.history(id, 0, Integer.MAX_VALUE).orElseThrow().deltas();
    }
  }

  /** A Redis that stops answering (paused clients) makes calls time out with BackendException. */
  @Test
  void unresponsiveRedis_timesOutWithBackendException() throws Exception {
    try (RedisServer server = RedisServers.own();
        RedisBackend backend =
            RedisBackend.builder(server.uri()).timeout(Duration.ofMillis(300)).build()) {
      assertThat(backend.get("paused")).isEmpty();
      Services.run(
          List.of(
              "redis-cli", "-p", Integer.toString(server.port()), "CLIENT", "PAUSE", "1500", "ALL"),
          10);
      assertThatThrownBy(() -> backend.get("paused"))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("timed out");
      assertThat(retry(() -> backend.get("paused"))).isEmpty();
    }
  }

  /**
   * Node B's subscriber sees node A's commits in order, once each, also across a lost pub/sub
   * connection: commits made while B is disconnected arrive after it resubscribes, even when
   * nothing is committed afterwards.
   */
  @Test
  void subscriberOnOtherNode_catchesUpAfterLosingItsConnection() throws Exception {
    try (RedisServer server = RedisServers.own();
        Chord a = Chord.builder().backend(RedisBackend.connect(server.uri())).build();
        Chord b = Chord.builder().backend(RedisBackend.connect(server.uri())).build()) {
      BlockingQueue<DeltaRecord> received = new LinkedBlockingQueue<>();
      try (AutoCloseable subscription = b.subscribe("push", received::add)) {
        a.setContext("push", Map.of("n", 0));
        for (int i = 1; i <= 5; i++) {
          a.updateContext("push", Map.of("n", i));
        }
        assertThat(versions(received, 6)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);

        Services.run(
            List.of(
                "redis-cli",
                "-p",
                Integer.toString(server.port()),
                "CLIENT",
                "KILL",
                "TYPE",
                "pubsub"),
            10);
        for (int i = 6; i <= 10; i++) {
          a.updateContext("push", Map.of("n", i));
        }
        assertThat(versions(received, 5)).containsExactly(7L, 8L, 9L, 10L, 11L);
        assertThat(received.poll(300, TimeUnit.MILLISECONDS)).isNull();
      }
    }
  }

  /**
   * Node B's subscriber follows node A's restore to a lower version and A's delete and re-create,
   * on a server and on the cluster: each reset names its epoch, so the subscriber gets a reset to
   * the restored incarnation, "absent" after the delete and the new incarnation's version 1 as a
   * delta, and its state is the stored one after each step, never an old version's.
   */
  @ParameterizedTest(name = "cluster={0}")
  @ValueSource(booleans = {false, true})
  void subscriberOnOtherNode_followsDeleteAndRestore(boolean cluster) throws Exception {
    String id = "follow {" + UUID.randomUUID() + "}";
    Supplier<RedisBackend> node = nodes(cluster);
    try (RedisBackend backendA = node.get();
        Chord a = Chord.builder().backend(backendA).build();
        RedisBackend backendB = node.get();
        Chord b = Chord.builder().backend(backendB).build()) {
      Mirror mirror = new Mirror();
      try (AutoCloseable subscription = b.subscribe(id, mirror)) {
        a.setContext(id, Map.of("n", 0));
        for (int i = 1; i <= 4; i++) {
          a.updateContext(id, Map.of("n", i));
        }
        mirror.awaitState(backendB.get(id));
        assertThat(mirror.events())
            .containsExactly("delta 1", "delta 2", "delta 3", "delta 4", "delta 5");

        backendA.restore(
            new Context(id, 2, Snapshots.freeze(Map.of("n", "restored")), 0, Epochs.next()));
        a.updateContext(id, Map.of("n", "after"));
        mirror.awaitState(backendB.get(id));
        assertThat(mirror.events().get(5)).startsWith("reset ");

        a.deleteContext(id);
        mirror.awaitState(Optional.empty());
        a.setContext(id, Map.of("n", "new"));
        a.updateContext(id, Map.of("n", "newer"));
        mirror.awaitState(backendB.get(id));
        List<String> events = mirror.events();
        assertThat(events.subList(events.indexOf("reset absent"), events.size()))
            .containsExactly("reset absent", "delta 1", "delta 2");
      }
    }
  }

  /**
   * A restore to a lower version, and a delete and re-create, made while node B's pub/sub
   * connection is down (so B never gets their reset messages): after B resubscribes its feeds get a
   * reset without epoch, Chord reads the context, and the subscriber gets a reset to the new
   * incarnation instead of dropping its records as repeats. Redis refuses new connections meanwhile
   * (maxclients), so B surely misses them.
   */
  @Test
  void subscriberOnOtherNode_followsResetsMissedWhileDisconnected() throws Exception {
    try (RedisServer server = RedisServers.own();
        RedisBackend backendA = RedisBackend.connect(server.uri());
        Chord a = Chord.builder().backend(backendA).build();
        Chord b = Chord.builder().backend(RedisBackend.connect(server.uri())).build()) {
      RedisClient client = RedisClient.create(server.uri());
      Mirror mirror = new Mirror();
      try (StatefulRedisConnection<String, String> admin = client.connect();
          AutoCloseable subscription = b.subscribe("missed", mirror)) {
        a.setContext("missed", Map.of("n", 0));
        for (int i = 1; i <= 4; i++) {
          a.updateContext("missed", Map.of("n", i));
        }
        mirror.awaitState(backendA.get("missed"));

        whileSubscribersDisconnected(
            admin.sync(),
            () -> {
              backendA.restore(
                  new Context(
                      "missed", 2, Snapshots.freeze(Map.of("n", "restored")), 0, Epochs.next()));
              return a.updateContext("missed", Map.of("n", "after"));
            });
        mirror.awaitState(backendA.get("missed"));
        assertThat(mirror.events()).endsWith("reset 3");

        whileSubscribersDisconnected(
            admin.sync(),
            () -> {
              a.deleteContext("missed");
              a.setContext("missed", Map.of("n", "new"));
              return a.updateContext("missed", Map.of("n", "newer"));
            });
        mirror.awaitState(backendA.get("missed"));
        assertThat(mirror.events()).endsWith("reset 2");
        a.updateContext("missed", Map.of("n", "later"));
        mirror.awaitState(backendA.get("missed"));
        assertThat(mirror.events()).endsWith("reset 2", "delta 3");
      } finally {
        client.shutdown();
      }
    }
  }

  /**
   * What a feed gets from the channel's messages, published here by hand: deltas and resets with
   * the epoch each names (the backend leaves judging them to Chord), and for a message whose kind,
   * epoch or body cannot be read a reset without epoch, so that Chord reads what it could not.
   */
  @Test
  void channelMessages_carryTheirEpochs_unreadableOnesBecomeUnknownResets() throws Exception {
    String id = "messages " + UUID.randomUUID();
    RedisClient client = RedisClient.create(RedisServers.standalone());
    RecordingFeed feed = new RecordingFeed();
    try (RedisBackend backend =
            RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX).build();
        Chord chord = Chord.builder().backend(backend).build();
        StatefulRedisConnection<String, String> connection = client.connect()) {
      DeltaRecord first = chord.setContext(id, Map.of("n", 0)).deltaRecord();
      RedisCommands<String, String> redis = connection.sync();
      String epoch = redis.hget(new Keys(PREFIX).of(id)[0], "e");
      assertThat(epoch).isEqualTo(first.epoch());
      String other = "otherEpoch99";
      String channel = new Keys(PREFIX).channel(id);
      try (AutoCloseable subscription = backend.subscribe(id, feed)) {
        for (String message :
            List.of(
                "d " + other + " " + message(first, 2),
                "not a message",
                "x " + epoch + " 3",
                "r " + epoch + " three",
                "r " + epoch + " -2",
                "d " + epoch + " {\"version\":",
                "d short " + message(first, 2),
                "d " + epoch + " " + message(first, 2),
                "r " + other + " 9",
                "r " + epoch + " 0",
                "d " + epoch + " " + message(first, 10))) {
          redis.publish(channel, message);
        }
        assertThat(feed.awaitEvent("delta 10", 20))
            .containsExactly(
                "delta 2",
                "reset -1",
                "reset -1",
                "reset -1",
                "reset -1",
                "reset -1",
                "reset -1",
                "delta 2",
                "reset 9",
                "reset 0");
        List<String> nulls = java.util.Collections.nCopies(6, null);
        List<String> expectedEpochs = new ArrayList<>(List.of(other));
        expectedEpochs.addAll(nulls);
        expectedEpochs.addAll(List.of(epoch, other, epoch, epoch));
        assertThat(feed.epochs()).isEqualTo(expectedEpochs);
      }
    } finally {
      client.shutdown();
    }
  }

  private static String message(DeltaRecord record, long version) {
    return LeafLayout.of(
            new DeltaRecord(
                record.contextId(), version, record.delta(), record.insertedAt(), record.epoch()))
        .message();
  }

  /**
   * Runs {@code action} while every pub/sub connection is closed and Redis refuses new ones
   * (maxclients lowered to the connections left), then lets them reconnect.
   */
  private static <T> T whileSubscribersDisconnected(
      RedisCommands<String, String> admin, Supplier<T> action) {
    String maxClients = admin.configGet("maxclients").get("maxclients");
    long others = clients(admin, ClientListArgs.Builder.typeNormal());
    admin.configSet("maxclients", Long.toString(others));
    try {
      admin.clientKill(KillArgs.Builder.typePubsub());
      assertThat(clients(admin, ClientListArgs.Builder.typePubsub())).isZero();
      return action.get();
    } finally {
      admin.configSet("maxclients", maxClients);
    }
  }

  private static long clients(RedisCommands<String, String> admin, ClientListArgs type) {
    return admin.clientList(type).lines().count();
  }

  private static List<DeltaRecord> records(BlockingQueue<DeltaRecord> queue, int count)
      throws InterruptedException {
    List<DeltaRecord> out = new ArrayList<>();
    while (out.size() < count) {
      DeltaRecord record = queue.poll(20, TimeUnit.SECONDS);
      assertThat(record).as("delivery %d of %d", out.size() + 1, count).isNotNull();
      out.add(record);
    }
    return out;
  }

  private static List<Long> versions(BlockingQueue<DeltaRecord> queue, int count)
      throws InterruptedException {
    return records(queue, count).stream().map(DeltaRecord::version).toList();
  }

  /**
   * The stored form is readable with redis-cli, keeps Chord's epoch and its time in milliseconds,
   * and every key of a context shares one slot, even for ids with braces.
   */
  @Test
  void layout_isReadableAndOneSlotPerContext() {
    String id = "room {1}:ü";
    try (RedisBackend backend =
            RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX).build();
        Chord chord =
            Chord.builder()
                .backend(backend)
                .timeUnit(java.time.temporal.ChronoUnit.MILLIS)
                .build()) {
      chord.setContext(
          id, Map.of("participants", Map.of("ann", Map.of("status", "active")), "n", 1.0));
      chord.updateContext(id, Map.of("participants", Map.of("ann", Map.of("status", "away"))));

      RedisClient client = RedisClient.create(RedisServers.standalone());
      try (StatefulRedisConnection<String, String> connection = client.connect()) {
        RedisCommands<String, String> redis = connection.sync();
        String[] keys = new Keys(PREFIX).of(id);
        assertThat(keys[0]).isEqualTo(PREFIX + ":{" + Keys.tag(id) + "}:meta");
        Context stored = chord.getContext(id).orElseThrow();
        assertThat(redis.hgetall(keys[0]))
            .containsOnly(
                Map.entry("v", "2"),
                Map.entry("id", id),
                Map.entry("at", Long.toString(stored.insertedAt())),
                Map.entry("e", stored.epoch()));
        assertThat(redis.hgetall(keys[1]))
            .containsEntry("/participants", "{}")
            .containsEntry("/participants/ann", "{}")
            .containsEntry("/participants/ann/status", "\"away\"")
            .containsEntry("/n", "1.0");
        assertThat(redis.xlen(keys[2])).isEqualTo(2);
        assertThat(
                redis
                    .xrange(keys[2], io.lettuce.core.Range.create("2-0", "2-0"))
                    .get(0)
                    .getBody()
                    .get("d"))
            .isEqualTo(
                "{\"version\":2,\"insertedAt\":"
                    + chord.getContext(id).orElseThrow().insertedAt()
                    + ",\"changes\":[{\"path\":[\"participants\",\"ann\",\"status\"],\"action\":\"modified\",\"old\":\"active\",\"value\":\"away\"}]}");
        int slot = SlotHash.getSlot(keys[0]);
        for (String key : keys) {
          assertThat(SlotHash.getSlot(key)).isEqualTo(slot);
        }
        assertThat(SlotHash.getSlot(new Keys(PREFIX).channel(id))).isEqualTo(slot);
      } finally {
        client.shutdown();
      }
      chord.deleteContext(id);
    }
  }

  /**
   * A conflict reply brings the current context: as the deltas the writer lacks when it is a few
   * versions behind, as a full read when it is further behind than the deltas sent (64).
   */
  @ParameterizedTest(name = "behind={0}")
  @ValueSource(ints = {3, 70})
  void conflict_bringsTheCurrentContext(int behind) {
    String id = "conflict-" + behind + "-" + UUID.randomUUID();
    try (RedisBackend stale =
            RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX).build();
        RedisBackend otherBackend =
            RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX).build();
        Chord other = Chord.builder().backend(otherBackend).build()) {
      other.setContext(id, Map.of("n", 0, "m", Map.of("k", List.of(1))));
      Context held = stale.getForCommit(id).orElseThrow();
      for (int i = 1; i <= behind; i++) {
        other.updateContext(
            id, Map.of("n", i, "m", Map.of("k" + i, new java.math.BigDecimal("1.0" + i))));
      }
      Map<String, Object> data = new HashMap<>(held.data());
      data.put("n", -1L);
      Context next = new Context(id, 2, Snapshots.freeze(data), 9, held.epoch());
      CommitResult result =
          stale.commit(
              new Commit(
                  next,
                  new DeltaRecord(
                      id, 2, dev.chord.Delta.diff(held.data(), next.data()), 9, held.epoch()),
                  1,
                  100));

      Context current = otherBackend.get(id).orElseThrow();
      assertThat(current.version()).isEqualTo(1 + behind);
      assertThat(result).isEqualTo(new CommitResult.Conflict(java.util.Optional.of(current)));
      assertThat(stale.getForCommit(id)).contains(current);
      other.deleteContext(id);
    }
  }

  /**
   * A node whose copy is stale draws no conclusion from it: data equal to its stale copy is still
   * written, and a context deleted by another node is not found (not resurrected) by an update.
   */
  @Test
  void staleNode_neverReportsUnchangedOrFoundFromItsCopy() {
    String id = "stale-" + UUID.randomUUID();
    try (Chord a =
            Chord.builder()
                .backend(RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX).build())
                .build();
        Chord b =
            Chord.builder()
                .backend(RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX).build())
                .build()) {
      a.setContext(id, Map.of("x", 1));
      b.setContext(id, Map.of("x", 2));

      dev.chord.ContextUpdate again = a.setContext(id, Map.of("x", 1));
      assertThat(again.changed()).isTrue();
      assertThat(again.context().version()).isEqualTo(3);
      assertThat(b.getContext(id).orElseThrow().data()).isEqualTo(Map.of("x", 1L));

      b.updateContext(id, Map.of("x", 5));
      assertThat(a.updateContext(id, Map.of("x", 1)).changed()).isTrue();

      b.deleteContext(id);
      assertThatThrownBy(() -> a.updateContext(id, Map.of("x", 9)))
          .isInstanceOf(dev.chord.ContextNotFoundException.class);
      assertThat(a.setContext(id, Map.of("x", 1)).context().version()).isEqualTo(1);
      a.deleteContext(id);
    }
  }

  /**
   * On one node, a write computed from a copy of an earlier incarnation at the same version (read
   * before another thread deleted and re-created the context) is not written on the new one.
   */
  @Test
  void writeFromAnEarlierIncarnationsCopy_onTheSameNode_isNotWrittenOnTheNewOne() {
    String id = "incarnation-" + UUID.randomUUID();
    RedisBackend node = RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX).build();
    try (Chord chord = Chord.builder().backend(node).build()) {
      Context oldV1 = chord.setContext(id, Map.of("a", 1)).context();
      chord.deleteContext(id);
      chord.setContext(id, Map.of("b", 2));
      Context computedFrom = oldV1;
      try (Chord racing =
          Chord.builder()
              .backend(
                  new ForwardingBackend(node) {
                    @Override
                    public java.util.Optional<Context> getForCommit(String contextId) {
                      return java.util.Optional.of(computedFrom);
                    }

                    @Override
                    public void close() {}
                  })
              .build()) {
        dev.chord.ContextUpdate update = racing.updateContext(id, Map.of("c", 3));
        assertThat(update.context().data()).isEqualTo(Map.of("b", 2L, "c", 3L));
      }
      assertThat(chord.getContext(id).orElseThrow().data()).isEqualTo(Map.of("b", 2L, "c", 3L));
      chord.deleteContext(id);
    }
  }

  /**
   * The scripted full read (the fallback when plain full reads keep meeting writes) agrees, and
   * weighs the copy by its stored form.
   */
  @Test
  void atomicFullRead_readsTheSameContext() {
    String id = "atomic-" + UUID.randomUUID();
    try (RedisBackend backend =
            RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX).build();
        Chord chord = Chord.builder().backend(backend).build()) {
      chord.setContext(
          id,
          Map.of(
              "a",
              Map.of("b", List.of(1, "x"), "empty", Map.of()),
              "d",
              new java.math.BigDecimal("2.50")));
      RedisBackend.Held atomic = backend.readAtomically(id).orElseThrow();
      assertThat(atomic.context()).isEqualTo(backend.get(id).orElseThrow());
      assertThat(atomic.bytes())
          .isEqualTo(LeafLayout.size(LeafLayout.fieldsOf(atomic.context().data())));
      chord.setContext(id + "-empty", Map.of());
      assertThat(backend.readAtomically(id + "-empty").orElseThrow().context().data()).isEmpty();
      assertThat(backend.readAtomically(id + "-absent")).isEmpty();
      chord.deleteContext(id);
      chord.deleteContext(id + "-empty");
    }
  }

  /**
   * Chord's cleanup over Redis, on one server and on the cluster: expired deltas go, stale contexts
   * go (with their keys), a context updated since stays.
   */
  @ParameterizedTest(name = "cluster={0}")
  @ValueSource(booleans = {false, true})
  void cleanup_dropsExpiredDeltasAndStaleContexts(boolean cluster) {
    String prefix = PREFIX + "-cleanup-" + cluster;
    Supplier<RedisBackend> node =
        cluster
            ? () -> RedisBackend.clusterBuilder(RedisServers.cluster()).keyPrefix(prefix).build()
            : () -> RedisBackend.builder(RedisServers.standalone()).keyPrefix(prefix).build();
    java.util.concurrent.atomic.AtomicLong now =
        new java.util.concurrent.atomic.AtomicLong(1_000_000);
    java.time.Clock clock =
        new java.time.Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
          }

          @Override
          public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public java.time.Instant instant() {
            return java.time.Instant.ofEpochSecond(now.get());
          }
        };
    try (Chord chord =
        Chord.builder()
            .backend(node.get())
            .clock(clock)
            .deltaTtl(Duration.ofMinutes(10))
            .contextTtl(Duration.ofHours(1))
            .contextAutoDelete(true)
            .build()) {
      for (int i = 0; i < 12; i++) {
        chord.setContext("stale " + i, Map.of("i", i));
      }
      chord.setContext("kept {x}", Map.of("v", 0));
      now.addAndGet(Duration.ofMinutes(50).toSeconds());
      chord.updateContext("kept {x}", Map.of("v", 1));
      now.addAndGet(Duration.ofMinutes(20).toSeconds());
      chord.updateContext("kept {x}", Map.of("v", 2));

      dev.chord.CleanupReport report = chord.cleanup();

      assertThat(report.contextsDeleted()).isEqualTo(12);
      assertThat(report.deltasDeleted()).isEqualTo(2); // versions 1 and 2 of "kept {x}"
      for (int i = 0; i < 12; i++) {
        assertThat(chord.getContext("stale " + i)).isEmpty();
      }
      assertThat(chord.getContext("kept {x}").orElseThrow().version()).isEqualTo(3);
      assertThat(chord.syncContext("kept {x}", 2L)).isInstanceOf(SyncResult.Patch.class);
      assertThat(chord.syncContext("kept {x}", 1L)).isInstanceOf(SyncResult.Full.class);
      chord.deleteContext("kept {x}");
    }
  }

  /** Closing a backend closes its connections and ends every thread it started. */
  @Test
  void close_releasesConnectionsAndThreads() throws Exception {
    try (RedisServer server = RedisServers.own()) {
      Set<Thread> before = Thread.getAllStackTraces().keySet();
      String clientsBefore = connectedClients(server);
      RedisBackend backend = RedisBackend.connect(server.uri());
      try (Chord chord = Chord.builder().backend(backend).build()) {
        BlockingQueue<DeltaRecord> received = new LinkedBlockingQueue<>();
        chord.subscribe("closing", received::add);
        chord.setContext("closing", Map.of("a", 1));
        assertThat(received.poll(20, TimeUnit.SECONDS)).isNotNull();
        assertThat(connectedClients(server)).isNotEqualTo(clientsBefore);
      }
      assertThat(retryUntil(() -> connectedClients(server).equals(clientsBefore))).isTrue();
      assertThat(retryUntil(() -> newThreads(before).isEmpty()))
          .as("threads left: %s", newThreads(before))
          .isTrue();
      assertThatThrownBy(() -> backend.get("closing")).isInstanceOf(IllegalStateException.class);
    }
  }

  /**
   * Live threads not in {@code before}, except the JDK's "process reaper": it waits for this test's
   * own redis-cli processes, and whether an idle one is left from earlier tests (the JDK keeps them
   * a minute) depends on test order.
   */
  private static List<Thread> newThreads(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !before.contains(t) && t.isAlive() && !t.getName().equals("process reaper"))
        .toList();
  }

  private static String connectedClients(RedisServer server) throws Exception {
    String info =
        Services.run(
            List.of("redis-cli", "-p", Integer.toString(server.port()), "INFO", "clients"), 10);
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("connected_clients:")) {
        return line.strip();
      }
    }
    throw new IllegalStateException("no connected_clients in " + info);
  }

  /** Polls a condition for up to 10 s (shutdown is asynchronous in places). */
  private static boolean retryUntil(Attempt<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.run()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  private interface Attempt<T> {
    T run() throws Exception;
  }

  /** Retries while the backend reconnects; gives up after 30 s. */
  private static <T> T retry(Attempt<T> attempt) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return attempt.run();
      } catch (BackendException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }
}
