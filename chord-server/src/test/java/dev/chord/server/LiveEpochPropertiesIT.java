package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.memory.InMemoryBackend;
import dev.chord.redis.RedisBackend;
import dev.chord.spi.Backend;
import dev.chord.spi.ForwardingBackend;
import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Syncing by epoch over the live WebSocket, as a property of the server: the live half of the
 * backend kit's {@code EpochSyncProperty} (which syncs through {@code syncContext}). Seeded random
 * histories of set, update, delete, re-create, export and restore through the HTTP API of two nodes
 * on one backend (one in-memory backend shared by both, or one Redis), while model clients connect
 * to either node from what they hold ({@code ?version=N&epoch=E}, or nothing), read for a while,
 * disconnect (also with messages still on their way) and come back later, maybe to the other node;
 * while disconnected they also sync through {@code GET …/sync} the same way.
 *
 * <p>A client applies messages strictly by the rule of the wire protocol ({@link Replica}): {@code
 * full} and {@code absent} replace its state; a patch only in its own epoch from its own version
 * (or from version 0 while it holds "absent", which creates the context); {@code no_change} only
 * naming its own (epoch, version). A message that breaks the rule fails the property, and so does a
 * state the client reaches that the server never had (every state is known from the write answers:
 * the history has one writer). At random checkpoints and at the end of every history, every
 * connected client reaches the stored state ({@code GET}) within a bounded wait, and a new client
 * that connects with an old epoch at a version the current incarnation has gets {@code full}. At
 * the end a marker write follows: only the last message can take a client there, so a client at the
 * marker state has applied everything that was on its way.
 *
 * <p>Seeded: a failure names its seed, and {@code -Dchord.seed=<seed>} replays that history (its
 * operations; how the writes and connects of a burst interleave is up to the threads).
 */
class LiveEpochPropertiesIT {
  private static final int HISTORIES = 50;
  private static final Duration CONVERGE = Duration.ofSeconds(10);

  /** Few keys, so that edits collide; some look like delta or JSON Pointer syntax. */
  private static final String[] KEYS = {"a", "b", "n", "a/b", "~1", "", "ü", "{t}"};

  /** The backend the two nodes share. */
  enum Store {
    MEMORY,
    REDIS
  }

  @ParameterizedTest
  @EnumSource(Store.class)
  void liveClientsOnTwoNodes_endAtTheStoredState_neverPatchedAcrossIncarnations(
      Store store, @TempDir Path exports) throws Exception {
    Long replay = Long.getLong("chord.seed");
    Random seeds = new Random(new SecureRandom().nextLong());
    Stats stats = new Stats();
    try (Nodes nodes = Nodes.start(store, exports)) {
      for (int run = 0; run < (replay == null ? HISTORIES : 1); run++) {
        long seed = replay == null ? seeds.nextLong() : replay;
        try {
          new History(nodes, new Random(seed), "live-epoch-" + run, stats).run();
        } catch (RuntimeException | AssertionError e) {
          String message =
              store + " failed with seed " + seed + "; replay with -Dchord.seed=" + seed;
          System.err.println(message);
          throw new AssertionError(message + ": " + e.getMessage(), e);
        }
      }
      System.out.println(store + ": " + stats);
    }
    if (replay == null) {
      assertThat(stats.patches).as("patches applied").isPositive();
      assertThat(stats.absents).as("absent messages applied").isPositive();
      assertThat(stats.resets)
          .as("full messages that moved a client to another incarnation")
          .isPositive();
      assertThat(stats.sameVersionOtherEpoch)
          .as("reconnects or syncs where only the epoch tells the client it is behind")
          .isPositive();
      assertThat(stats.probesOfASharedVersion)
          .as("old-epoch probes at a version both incarnations had")
          .isPositive();
    }
  }

  /**
   * Two servers on one backend, sharing one export directory, and the threads that write bursts.
   * Node B keeps only 3 deltas per context, so a reconnect from further back gets the context whole
   * there, where node A would merge the deltas into one patch.
   */
  private record Nodes(ChordServer a, ChordServer b, RedisServer redis, ExecutorService writers)
      implements AutoCloseable {
    static Nodes start(Store store, Path exports) throws Exception {
      RedisServer redis = store == Store.REDIS ? RedisServers.own() : null;
      Supplier<Backend> own;
      Supplier<Backend> peer;
      if (redis == null) {
        InMemoryBackend shared = InMemoryBackend.create();
        own = () -> shared;
        peer =
            () ->
                new ForwardingBackend(shared) {
                  @Override
                  public void close() {} // node A owns it and closes it
                };
      } else {
        String prefix = "live-epoch-" + ProcessHandle.current().pid() + "-";
        own = () -> RedisBackend.builder(redis.uri()).keyPrefix(prefix).build();
        peer = own;
      }
      String name = store.name().toLowerCase(Locale.ROOT);
      UnaryOperator<ChordServer.Builder> common =
          s -> s.storeDir(exports).maxConnectionsPerIp(1000);
      ChordServer a = null;
      try {
        a = ServerFixture.start(s -> common.apply(s.backend(own.get(), name)));
        ChordServer b =
            ServerFixture.start(s -> common.apply(s.backend(peer.get(), name)).deltaThreshold(3));
        return new Nodes(a, b, redis, Executors.newFixedThreadPool(4));
      } catch (RuntimeException e) {
        if (a != null) {
          a.close();
        }
        if (redis != null) {
          redis.close();
        }
        throw e;
      }
    }

    ChordServer node(int index) {
      return index == 0 ? a : b;
    }

    @Override
    public void close() throws InterruptedException {
      writers.shutdownNow();
      try {
        b.close();
        a.close();
      } finally {
        if (redis != null) {
          redis.close();
        }
      }
    }
  }

  /** What the histories of one backend exercised; the property must have met every case. */
  private static final class Stats {
    int connects;
    int patches;
    int merged;
    int absents;
    int resets;
    int noChanges;
    int sameVersionOtherEpoch;
    int probesOfASharedVersion;

    @Override
    public String toString() {
      return connects
          + " connects, "
          + patches
          + " patches ("
          + merged
          + " spanning versions), "
          + resets
          + " fulls into another incarnation, "
          + absents
          + " absents, "
          + noChanges
          + " no_change, "
          + sameVersionOtherEpoch
          + " reconnects or syncs at the stored version of another incarnation, "
          + probesOfASharedVersion
          + " old-epoch probes at a shared version";
    }
  }

  /** A state of the context: {@code epoch == null} is "absent". */
  private record State(String epoch, long version, Map<String, Object> data) {
    static final State ABSENT = new State(null, 0, Map.of());

    @SuppressWarnings("unchecked")
    static State of(Map<String, Object> context) {
      return new State(
          (String) context.get("epoch"),
          ((Number) context.get("version")).longValue(),
          (Map<String, Object>) context.get("data"));
    }

    boolean heldBy(Replica replica) {
      return replica.version == version
          && Objects.equals(replica.epoch, epoch)
          && replica.state.equals(data);
    }

    @Override
    public String toString() {
      return epoch == null ? "absent" : epoch + " v" + version + " " + data;
    }
  }

  /** A model client: what it holds, and its socket while it is connected. */
  private static final class Client {
    final String name;
    final Replica replica = new Replica();
    Live live;

    Client(String name) {
      this.name = name;
    }

    String holds() {
      return replica.version < 0
          ? "nothing"
          : replica.epoch == null ? "absent" : replica.epoch + " v" + replica.version;
    }
  }

  /** A message that breaks the client rule: never a reason to keep waiting. */
  private static final class Violation extends RuntimeException {
    Violation(String message, AssertionError cause) {
      super(message + ": " + cause.getMessage(), cause);
    }
  }

  /** One history: one context, one writer (this thread), three model clients. */
  private static final class History {
    private final Nodes nodes;
    private final Random random;
    private final String id;
    private final Stats stats;
    private final List<Http> http;
    private final List<Client> clients =
        List.of(new Client("c0"), new Client("c1"), new Client("c2"));
    private final List<String> log = new ArrayList<>();

    /** Every state the server had, by {@code "epoch.version"}. */
    private final Map<String, Map<String, Object>> states = new HashMap<>();

    /** Every incarnation, by epoch: its first and its highest version. */
    private final Map<String, long[]> incarnations = new LinkedHashMap<>();

    private State stored = State.ABSENT;

    History(Nodes nodes, Random random, String id, Stats stats) {
      this.nodes = nodes;
      this.random = random;
      this.id = id;
      this.stats = stats;
      this.http = List.of(new Http(nodes.a().url()), new Http(nodes.b().url()));
    }

    void run() throws InterruptedException {
      try {
        int steps = 20 + random.nextInt(21);
        for (int i = 0; i < steps; i++) {
          log.add(step());
        }
        log.add("final " + checkpoint());
        log.add("marker " + wrote(http.get(random.nextInt(2)).put(path(), marker())));
        for (Client client : clients) {
          if (client.live != null) {
            awaitStored(client);
          }
        }
      } catch (RuntimeException | AssertionError e) {
        throw new AssertionError("after " + String.join(", ", log) + ": " + e.getMessage(), e);
      } finally {
        for (Client client : clients) {
          if (client.live != null) {
            client.live.close();
          }
        }
      }
    }

    private String path() {
      return "/contexts/" + id;
    }

    /** One random operation; returns what it did, for the failure message. */
    private String step() throws InterruptedException {
      int node = random.nextInt(2);
      Http on = http.get(node);
      String at = node == 0 ? "A: " : "B: ";
      int op = random.nextInt(100);
      if (op < 20) {
        return at + "patch " + wrote(on.patch(path(), map(2)));
      } else if (op < 31) {
        return at + "put " + wrote(on.put(path(), map(2)));
      } else if (op < 37) {
        return at + "delete " + deleted(on.delete(path()));
      } else if (op < 44) {
        deleted(on.delete(path()));
        return at + "re-create " + wrote(on.put(path(), map(1)));
      } else if (op < 50) {
        return at + "export " + exported(on.post(path() + "/export"));
      } else if (op < 57) {
        return at + "restore " + wrote(on.post(path() + "/restore"));
      } else if (op < 62) {
        return "burst " + burst();
      } else if (op == 99) {
        return "checkpoint " + checkpoint();
      }
      Client client = clients.get(random.nextInt(clients.size()));
      String who = client.name + " ";
      if (client.live == null) {
        return who + (op < 85 ? connect(client, node) : sync(client, node));
      } else if (op < 75) {
        // The old socket is dropped with whatever is still on its way.
        client.live.close();
        return who + "drop, " + connect(client, node);
      } else if (op < 89) {
        return who + "read " + read(client, 1 + random.nextInt(6), true);
      } else {
        return who + "read " + read(client, random.nextInt(3), false) + ", " + disconnect(client);
      }
    }

    /** Records the context of a write or restore answer; "not found" for a 404. */
    private String wrote(Http.Reply reply) {
      if (reply.status() == 404) {
        return "not found"; // a restore of a context never exported, or a patch of an absent one
      }
      assertThat(reply.status()).as("write answer %s", reply.body()).isIn(200, 201);
      State state =
          State.of(reply.json().containsKey("context") ? reply.map("context") : reply.json());
      String key = state.epoch() + "." + state.version();
      Map<String, Object> known = states.putIfAbsent(key, state.data());
      if (known != null) {
        assertThat(state.data()).as("two states named %s", key).isEqualTo(known);
      }
      incarnations.merge(
          state.epoch(),
          new long[] {state.version(), state.version()},
          (was, now) -> new long[] {Math.min(was[0], now[0]), Math.max(was[1], now[1])});
      stored = state;
      return state.toString();
    }

    /**
     * Several writes at once through both nodes, so that their commits interleave and events come
     * close together, while some disconnected clients connect: their initial sync races with the
     * writes. Each answer names a state, and the stored one is then what {@code GET} says.
     */
    private String burst() throws InterruptedException {
      List<Callable<Http.Reply>> writes = new ArrayList<>();
      List<String> what = new ArrayList<>();
      for (Client client : clients) {
        if (client.live == null && random.nextBoolean()) {
          int node = random.nextInt(2);
          String url = nodes.node(node).url();
          String live = path() + "/live" + query(client);
          what.add(client.name + " connects to " + (node == 0 ? "A" : "B"));
          writes.add(
              () -> {
                client.live = Live.connect(url, live);
                return null; // no answer to record
              });
          stats.connects++;
        }
      }
      for (int i = 3 + random.nextInt(5); i > 0; i--) {
        Http on = http.get(random.nextInt(2));
        Map<String, Object> body = map(1);
        int op = random.nextInt(10);
        if (op < 6) {
          what.add("patch");
          writes.add(() -> on.patch(path(), body));
        } else if (op < 8) {
          what.add("put");
          writes.add(() -> on.put(path(), body));
        } else if (op < 9) {
          what.add("re-create");
          writes.add(
              () -> {
                on.delete(path());
                return on.put(path(), body);
              });
        } else {
          what.add("restore");
          writes.add(() -> on.post(path() + "/restore"));
        }
      }
      Collections.shuffle(writes, random);
      for (Future<Http.Reply> write : nodes.writers().invokeAll(writes)) {
        try {
          Http.Reply reply = write.get();
          if (reply != null) {
            wrote(reply);
          }
        } catch (ExecutionException e) {
          throw new IllegalStateException("a write of the burst failed", e.getCause());
        }
      }
      Http.Reply read = http.get(random.nextInt(2)).get(path());
      stored = read.status() == 404 ? State.ABSENT : State.of(read.json());
      if (!stored.equals(State.ABSENT)) {
        assertThat(stored.data())
            .as("the stored state after a burst is one a write answered")
            .isEqualTo(states.get(stored.epoch() + "." + stored.version()));
      }
      return what + " to " + stored;
    }

    private String deleted(Http.Reply reply) {
      assertThat(reply.status()).as("delete answer %s", reply.body()).isIn(204, 404);
      stored = State.ABSENT;
      return reply.status() == 404 ? "not found" : "ok";
    }

    private String exported(Http.Reply reply) {
      assertThat(reply.status()).as("export answer %s", reply.body()).isIn(200, 404);
      assertThat(reply.status() == 404).as("404 iff absent").isEqualTo(stored.equals(State.ABSENT));
      return reply.status() == 404 ? "not found" : "v" + stored.version();
    }

    /** Connects {@code client} to {@code node} from what it holds. */
    private String connect(Client client, int node) {
      client.live = Live.connect(nodes.node(node).url(), path() + "/live" + query(client));
      stats.connects++;
      return "connect to " + (node == 0 ? "A" : "B") + " holding " + client.holds();
    }

    /**
     * Syncs {@code client} through {@code GET …/sync} of {@code node} from what it holds (404 is
     * "absent"): with no write in between, it is then exactly at the stored state.
     */
    private String sync(Client client, int node) {
      String was = client.holds();
      Http.Reply reply = http.get(node).get(path() + "/sync" + query(client));
      assertThat(reply.status()).as("sync answer %s", reply.body()).isIn(200, 404);
      Map<String, Object> message = reply.json();
      if (reply.status() == 404) {
        message = new LinkedHashMap<>();
        message.put("type", "absent");
        message.put("version", 0);
        message.put("epoch", null);
      }
      apply(client, message);
      assertThat(stored.heldBy(client.replica))
          .as("after %s applied to %s: %s, stored %s", message, was, client.holds(), stored)
          .isTrue();
      return "sync on " + (node == 0 ? "A" : "B") + " from " + was + " to " + client.holds();
    }

    /** The query naming what {@code client} holds ("absent" sometimes as {@code version=0}). */
    private String query(Client client) {
      Replica held = client.replica;
      if (held.version < 0) {
        return "";
      } else if (held.epoch == null) {
        return random.nextBoolean() ? "" : "?version=0";
      }
      if (held.version == stored.version() && !held.epoch.equals(stored.epoch())) {
        stats.sameVersionOtherEpoch++;
      }
      return "?version=" + held.version + "&epoch=" + held.epoch;
    }

    private String disconnect(Client client) {
      client.live.close();
      client.live = null;
      return "disconnect holding " + client.holds();
    }

    /**
     * Applies up to {@code max} messages that have arrived ({@code wait}: giving each a moment to
     * arrive); returns what the client holds then.
     */
    private String read(Client client, int max, boolean wait) {
      for (int i = 0; i < max; i++) {
        Map<String, Object> message;
        try {
          message =
              wait
                  ? client.live.messages.poll(2, TimeUnit.MILLISECONDS)
                  : client.live.messages.poll();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        if (message == null) {
          break;
        }
        apply(client, message);
      }
      return client.holds();
    }

    /** Applies one message by the client rule; anything the rule refuses is a violation. */
    private void apply(Client client, Map<String, Object> message) {
      String before = client.holds();
      Replica replica = client.replica;
      message.remove("_bytes");
      try {
        replica.apply(message);
        if (replica.epoch == null) {
          assertThat(replica.version).as("absent is version 0").isZero();
        } else {
          String key = replica.epoch + "." + replica.version;
          assertThat(replica.state)
              .as("%s, a state the server had", key)
              .isEqualTo(states.get(key));
        }
      } catch (AssertionError e) {
        throw new Violation(client.name + " holding " + before + " was sent " + message, e);
      }
      switch ((String) message.get("type")) {
        case "patch" -> {
          stats.patches++;
          long from = ((Number) message.get("fromVersion")).longValue();
          if (replica.version > from + 1) {
            stats.merged++;
          }
        }
        case "absent" -> stats.absents++;
        case "no_change" -> stats.noChanges++;
        default -> {
          if (!before.startsWith(replica.epoch + " ")) {
            stats.resets++;
          }
        }
      }
    }

    /**
     * Every connected client (at least one) reaches the stored state, and a new client with an old
     * epoch gets the current one whole.
     */
    private String checkpoint() {
      Http.Reply read = http.get(random.nextInt(2)).get(path());
      State current = read.status() == 404 ? State.ABSENT : State.of(read.json());
      assertThat(current).as("GET after the last write").isEqualTo(stored);
      if (clients.stream().allMatch(c -> c.live == null)) {
        Client client = clients.get(random.nextInt(clients.size()));
        log.add(client.name + " " + connect(client, random.nextInt(2)));
      }
      for (Client client : clients) {
        if (client.live != null) {
          awaitStored(client);
        }
      }
      return "at " + stored + ", " + probeOldEpoch();
    }

    private void awaitStored(Client client) {
      try {
        await()
            .atMost(CONVERGE)
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(5))
            .pollInSameThread()
            .until(
                () -> {
                  read(client, Integer.MAX_VALUE, false);
                  return stored.heldBy(client.replica);
                });
      } catch (ConditionTimeoutException e) {
        throw new AssertionError(
            client.name
                + " holds "
                + client.holds()
                + " "
                + client.replica.state
                + ", not the stored "
                + stored
                + ", after "
                + CONVERGE);
      }
    }

    /**
     * A new client with an old epoch, at a version the current incarnation has (one the old one had
     * too, if there is such a version), gets the current context whole, or "absent".
     */
    private String probeOldEpoch() {
      List<String> old =
          incarnations.keySet().stream().filter(e -> !e.equals(stored.epoch())).toList();
      if (old.isEmpty()) {
        return "no old epoch";
      }
      String epoch = old.get(random.nextInt(old.size()));
      long[] then = incarnations.get(epoch);
      long[] now = stored.equals(State.ABSENT) ? then : incarnations.get(stored.epoch());
      long low = Math.max(then[0], now[0]);
      long high = Math.min(then[1], now[1]);
      if (low <= high && !stored.equals(State.ABSENT)) {
        stats.probesOfASharedVersion++;
      } else {
        low = now[0];
        high = now[1];
      }
      long version = low + random.nextInt((int) (high - low + 1));
      int node = random.nextInt(2);
      String query = "/live?version=" + version + "&epoch=" + epoch;
      try (Live probe = Live.connect(nodes.node(node).url(), path() + query)) {
        Map<String, Object> first = probe.next();
        first.remove("_bytes");
        String what = "old epoch " + epoch + " v" + version + " got " + first;
        if (stored.equals(State.ABSENT)) {
          assertThat(first).as(what).containsEntry("type", "absent");
        } else {
          assertThat(first)
              .as(what)
              .containsEntry("type", "full")
              .containsEntry("epoch", stored.epoch())
              .containsEntry("context", stored.data());
          assertThat(((Number) first.get("version")).longValue())
              .as(what)
              .isEqualTo(stored.version());
        }
        return "probe " + epoch + " v" + version + " on " + (node == 0 ? "A" : "B") + " ok";
      }
    }

    /** A context no earlier state equals: the write always makes a new version. */
    private Map<String, Object> marker() {
      return Map.of("marker", random.nextLong());
    }

    /** A small JSON map, nested up to {@code depth}. */
    private Map<String, Object> map(int depth) {
      Map<String, Object> map = new LinkedHashMap<>();
      int size = random.nextInt(4);
      for (int i = 0; i < size; i++) {
        map.put(KEYS[random.nextInt(KEYS.length)], value(depth - 1));
      }
      return map;
    }

    private Object value(int depth) {
      return switch (random.nextInt(depth > 0 ? 7 : 5)) {
        case 0 -> random.nextInt(5);
        case 1 -> "s" + random.nextInt(3);
        case 2 -> random.nextBoolean();
        case 3 -> random.nextInt(3) / 2.0;
        case 4 -> random.nextInt(3) == 0 ? null : List.of(random.nextInt(3));
        case 5 -> map(depth);
        default -> List.of(map(depth));
      };
    }
  }
}
