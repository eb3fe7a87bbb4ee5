package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.redis.RedisBackend;
import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two server nodes sharing one Redis: a client on node B follows changes made through node A. */
class RedisTwoNodeIT {
  static RedisServer redis;
  static ChordServer nodeA;
  static ChordServer nodeB;
  static Http a;
  static Http b;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServers.own();
    nodeA = ServerFixture.start(s -> s.backend(RedisBackend.connect(redis.uri()), "redis"));
    nodeB = ServerFixture.start(s -> s.backend(RedisBackend.connect(redis.uri()), "redis"));
    a = new Http(nodeA.url());
    b = new Http(nodeB.url());
  }

  @AfterAll
  static void stop() throws Exception {
    if (nodeA != null) {
      nodeA.close();
    }
    if (nodeB != null) {
      nodeB.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void clientOnNodeB_seesChangesMadeThroughNodeA_inOrder() throws Exception {
    assertThat(a.get("/health").json())
        .containsEntry("backend", "redis")
        .containsEntry("status", "ok");
    a.put("/contexts/room:shared", Map.of("people", Map.of()));
    try (Live onB = Live.connect(nodeB.url(), "/contexts/room:shared/live");
        Live onA = Live.connect(nodeA.url(), "/contexts/room:shared/live")) {
      Replica viaB = LiveIT.follow(onB, new Replica(), 1);
      Replica viaA = LiveIT.follow(onA, new Replica(), 1);
      ExecutorService writers = Executors.newFixedThreadPool(2);
      List<Future<?>> done = new ArrayList<>();
      for (Http node : List.of(a, b)) {
        done.add(
            writers.submit(
                () -> {
                  for (int i = 0; i < 40; i++) {
                    String who = node == a ? "ann" : "bob";
                    node.patch(
                        "/contexts/room:shared", Map.of("people", Map.of(who, Map.of("n", i))));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      writers.shutdown();
      assertThat(b.get("/contexts/room:shared").json()).containsEntry("version", 81);
      LiveIT.follow(onB, viaB, 81);
      LiveIT.follow(onA, viaA, 81);
      Map<String, Object> expected = a.get("/contexts/room:shared").map("data");
      assertThat(viaB.state).isEqualTo(expected);
      assertThat(viaA.state).isEqualTo(expected);
      assertThat(expected)
          .isEqualTo(Map.of("people", Map.of("ann", Map.of("n", 39), "bob", Map.of("n", 39))));
    }
  }

  @Test
  void ifMatchAcrossNodes_exactlyOneWriterWins() throws Exception {
    a.put("/contexts/room:cas", Map.of("owner", "nobody"));
    String tag = a.get("/contexts/room:cas").header("ETag");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<Integer>> results = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Http node = i % 2 == 0 ? a : b;
      String owner = "writer" + i;
      results.add(
          pool.submit(
              () ->
                  node.patch("/contexts/room:cas", Map.of("owner", owner), "If-Match", tag)
                      .status()));
    }
    List<Integer> statuses = new ArrayList<>();
    for (Future<Integer> f : results) {
      statuses.add(f.get());
    }
    pool.shutdown();
    assertThat(statuses).containsOnly(200, 412);
    assertThat(statuses.stream().filter(s -> s == 200)).hasSize(1);
    assertThat(b.get("/contexts/room:cas").json()).containsEntry("version", 2);
  }

  @Test
  void ifMatch_onANodeWhoseCopyIsStale_judgesByTheStoredVersion() {
    a.put("/contexts/room:stale", Map.of("n", 1));
    Http.Reply read = b.get("/contexts/room:stale"); // B caches v1
    assertThat(read.json()).containsEntry("version", 1);
    String epoch = (String) read.json().get("epoch");
    a.patch("/contexts/room:stale", Map.of("n", 2)); // v2, through A

    Http.Reply stale =
        b.patch("/contexts/room:stale", Map.of("n", 3), "If-Match", read.header("ETag"));
    assertThat(stale.status()).isEqualTo(412);
    assertThat(stale.json())
        .containsEntry("currentVersion", 2)
        .containsEntry("currentEpoch", epoch);

    a.patch("/contexts/room:stale", Map.of("n", 4)); // v3, through A, while B holds v2
    Http.Reply current =
        b.patch("/contexts/room:stale", Map.of("n", 5), "If-Match", HttpApiIT.etag(epoch, 3));
    assertThat(current.status()).isEqualTo(200);
    assertThat(current.map("context")).containsEntry("version", 4);
  }

  @Test
  void restoreThroughNodeA_resyncsLiveClientsOnNodeB(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path store) throws Exception {
    try (ChordServer storeA =
            ServerFixture.start(
                s -> s.backend(RedisBackend.connect(redis.uri()), "redis").storeDir(store));
        ChordServer plainB =
            ServerFixture.start(s -> s.backend(RedisBackend.connect(redis.uri()), "redis"))) {
      Http viaA = new Http(storeA.url());
      viaA.put("/contexts/room:restore", Map.of("a", 1));
      viaA.patch("/contexts/room:restore", Map.of("a", 2));
      viaA.post("/contexts/room:restore/export"); // the store holds version 2: {a: 2}
      viaA.patch("/contexts/room:restore", Map.of("a", 3));
      try (Live onB = Live.connect(plainB.url(), "/contexts/room:restore/live")) {
        Replica replica = LiveIT.follow(onB, new Replica(), 3);
        assertThat(viaA.post("/contexts/room:restore/restore").status()).isEqualTo(200);
        // Versions 3 and 4 of the new incarnation are not the client's 3: it must not keep {a: 3}.
        viaA.patch("/contexts/room:restore", Map.of("b", 1));
        viaA.patch("/contexts/room:restore", Map.of("c", 1));
        LiveIT.follow(onB, replica, 4);
        while (!replica.state.equals(Map.of("a", 2, "b", 1, "c", 1))) {
          replica.apply(onB.next());
        }
        assertThat(replica.version).isEqualTo(4);
      }
    }
  }

  /** A delete and re-create through node A is seen by node B: its old ETag no longer passes. */
  @Test
  void recreateThroughNodeA_oldETagFailsOnNodeB_andSyncIsFull() {
    a.put("/contexts/room:again", Map.of("title", "old"));
    Http.Reply onB = b.get("/contexts/room:again");
    String old = (String) onB.json().get("epoch");
    a.delete("/contexts/room:again");
    a.put("/contexts/room:again", Map.of("title", "new"));
    String fresh = (String) a.get("/contexts/room:again").json().get("epoch");

    Http.Reply stale =
        b.put("/contexts/room:again", Map.of("title", "lost"), "If-Match", onB.header("ETag"));
    assertThat(stale.status()).isEqualTo(412);
    assertThat(stale.json()).containsEntry("currentEpoch", fresh);
    assertThat(b.get("/contexts/room:again/sync?version=1&epoch=" + old).json())
        .containsEntry("type", "full")
        .containsEntry("epoch", fresh)
        .containsEntry("context", Map.of("title", "new"));
  }

  @Test
  void syncThroughEitherNode_isTheSame() {
    a.put("/contexts/room:sync", Map.of("a", 1));
    b.patch("/contexts/room:sync", Map.of("b", 2));
    a.patch("/contexts/room:sync", Map.of("a", 3));
    assertThat(b.get("/contexts/room:sync/sync?version=1").json())
        .isEqualTo(a.get("/contexts/room:sync/sync?version=1").json())
        .containsEntry("type", "patch");
  }

  @Test
  void commandLine_backendRedis_servesFromRedis() {
    Main main = new Main();
    new picocli.CommandLine(main)
        .parseArgs("--backend", "redis", "--redis-uri", redis.uri(), "--port", "0");
    try (ChordServer node = main.builder().start()) {
      Http http = new Http(node.url());
      assertThat(http.get("/health").json()).containsEntry("backend", "redis");
      a.put("/contexts/room:cli", Map.of("via", "node A"));
      assertThat(http.get("/contexts/room:cli").map("data")).containsEntry("via", "node A");
    }
  }

  @Test
  void backendDown_is503_andHealthSaysSo() throws Exception {
    RedisServer own = RedisServers.own();
    try (ChordServer node =
        ServerFixture.start(
            s ->
                s.backend(
                    RedisBackend.builder(own.uri())
                        .timeout(java.time.Duration.ofMillis(500))
                        .build(),
                    "redis"))) {
      Http http = new Http(node.url());
      assertThat(http.put("/contexts/room:down", Map.of("a", 1)).status()).isEqualTo(201);
      own.close();
      Http.Reply health = http.get("/health");
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.json()).containsEntry("status", "unavailable");
      Http.Reply write = http.patch("/contexts/room:down", Map.of("a", 2));
      assertThat(write.status()).isEqualTo(503);
      assertThat(write.json()).containsEntry("error", "backend_unavailable");
    } finally {
      own.close();
    }
  }
}
