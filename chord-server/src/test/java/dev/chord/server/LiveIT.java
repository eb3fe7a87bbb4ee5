package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The live WebSocket over a real socket, with java.net.http's WebSocket client. */
class LiveIT {
  /** Starts the server under test; the Redis variant adds its backend. */
  ChordServer start(java.util.function.UnaryOperator<ChordServer.Builder> settings) {
    return ServerFixture.start(settings);
  }

  String backendName() {
    return "memory";
  }

  ChordServer server;
  Http http;

  @BeforeEach
  void startServer() {
    server = start(b -> b.maxConnectionsPerIp(1000));
    http = new Http(server.url());
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  /** Reads messages into a replica until it reaches {@code version}. */
  static Replica follow(Live live, Replica replica, long version) {
    while (replica.version < version) {
      replica.apply(live.next());
    }
    return replica;
  }

  Map<String, Object> data(String id) {
    return http.get("/contexts/" + id).map("data");
  }

  String epoch(String id) {
    return (String) http.get("/contexts/" + id).json().get("epoch");
  }

  @Test
  void initialMessage_isTheSyncResultForTheClientsVersion() {
    try (Live absent = Live.connect(server.url(), "/contexts/none/live")) {
      assertThat(absent.next())
          .containsEntry("type", "absent")
          .containsEntry("version", 0)
          .containsEntry("epoch", null);
    }
    http.put("/contexts/r", Map.of("a", 1));
    http.patch("/contexts/r", Map.of("b", 2));
    String epoch = epoch("r");
    try (Live full = Live.connect(server.url(), "/contexts/r/live")) {
      assertThat(full.next())
          .containsEntry("type", "full")
          .containsEntry("version", 2)
          .containsEntry("epoch", epoch)
          .containsEntry("context", Map.of("a", 1, "b", 2));
    }
    try (Live patch =
        Live.connect(
            server.url(), "/contexts/r/live?version=1&epoch=" + epoch + "&format=json-patch")) {
      assertThat(patch.next())
          .containsEntry("type", "patch")
          .containsEntry("fromVersion", 1)
          .containsEntry("version", 2)
          .containsEntry("epoch", epoch)
          .containsEntry("delta", List.of(Map.of("op", "add", "path", "/b", "value", 2)));
    }
    try (Live current = Live.connect(server.url(), "/contexts/r/live?version=2&epoch=" + epoch)) {
      assertThat(current.next())
          .containsEntry("type", "no_change")
          .containsEntry("version", 2)
          .containsEntry("epoch", epoch);
    }
    try (Live versionOnly = Live.connect(server.url(), "/contexts/r/live?version=2")) {
      assertThat(versionOnly.next())
          .as("version without epoch: as before (unsafe across re-creation)")
          .containsEntry("type", "no_change")
          .containsEntry("epoch", epoch);
    }
    try (Live otherEpoch =
        Live.connect(server.url(), "/contexts/r/live?version=2&epoch=AAAAAAAAAAAAAAAA")) {
      assertThat(otherEpoch.next()).containsEntry("type", "full").containsEntry("epoch", epoch);
    }
  }

  @Test
  void everyLaterDelta_arrivesInVersionOrder_fromConcurrentWriters() throws Exception {
    http.put("/contexts/busy", Map.of("n", Map.of()));
    try (Live a = Live.connect(server.url(), "/contexts/busy/live");
        Live b =
            Live.connect(server.url(), "/contexts/busy/live?version=1&epoch=" + epoch("busy"))) {
      ExecutorService writers = Executors.newFixedThreadPool(4);
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        done.add(
            writers.submit(
                () -> {
                  for (int i = 0; i < 50; i++) {
                    http.patch("/contexts/busy", Map.of("n", Map.of("w" + writer, i)));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      writers.shutdown();
      long version = ((Number) http.get("/contexts/busy").json().get("version")).longValue();
      assertThat(version).isEqualTo(201);
      Replica ra = follow(a, new Replica(), version);
      Replica rb = follow(b, new Replica(Map.of("n", Map.of()), epoch("busy"), 1), version);
      assertThat(ra.state).isEqualTo(data("busy"));
      assertThat(rb.state).isEqualTo(data("busy"));
      // Every version arrives in order (Replica checks each patch starts at the client's
      // version), but what piled up while the fan-out or a socket was busy comes merged.
      assertThat(ra.fulls).as("the initial sync only: no resync").isEqualTo(1);
      assertThat(ra.patches).isBetween(1, 200);
    }
  }

  @Test
  void reconnectFromLastVersion_getsExactlyTheMissingChanges() {
    http.put("/contexts/re", Map.of("a", 1));
    Replica replica = new Replica();
    try (Live first = Live.connect(server.url(), "/contexts/re/live")) {
      follow(first, replica, 1);
    }
    http.patch("/contexts/re", Map.of("b", 2));
    http.patch("/contexts/re", Map.of("a", 3));
    try (Live again = Live.connect(server.url(), resume("re", replica))) {
      Map<String, Object> message = again.next();
      assertThat(message)
          .containsEntry("type", "patch")
          .containsEntry("fromVersion", 1)
          .containsEntry("version", 3)
          .containsEntry("epoch", replica.epoch);
      replica.apply(message);
      assertThat(replica.state).isEqualTo(data("re"));
    }
  }

  @Test
  void slowClient_getsMergedPatches_withoutHoles_andDoesNotHoldBackOthers() throws Exception {
    server.close();
    server = start(b -> b.wsQueueLimit(4).maxConnectionsPerIp(1000));
    http = new Http(server.url());
    http.put("/contexts/slow", Map.of());
    String blob = "x".repeat(32 * 1024);
    try (Live slow = Live.connect(server.url(), "/contexts/slow/live", false, null);
        Live fast = Live.connect(server.url(), "/contexts/slow/live")) {
      slow.request(1);
      Replica slowReplica = follow(slow, new Replica(), 1);
      Replica fastReplica = follow(fast, new Replica(), 1);
      // Write until the slow client's queue has overflowed at least once: the socket buffers
      // between server and client must fill first, and their size depends on the kernel.
      int updates = 0;
      while (server.liveOverflows() == 0 && updates < 4000) {
        for (int i = 0; i < 100; i++, updates++) {
          http.patch(
              "/contexts/slow", Map.of("blob" + (updates % 10), blob + updates, "n", updates));
        }
      }
      assertThat(server.liveOverflows()).isPositive();
      long version = updates + 1;
      follow(fast, fastReplica, version);
      assertThat(fastReplica.state).isEqualTo(data("slow"));

      slow.request(Long.MAX_VALUE);
      follow(slow, slowReplica, version);
      assertThat(slowReplica.state).isEqualTo(data("slow"));
      assertThat(slowReplica.merged + slowReplica.fulls - 1)
          .as("the slow client's queue was merged (or replaced by the full context)")
          .isPositive();
      assertThat(slowReplica.patches + slowReplica.fulls).isLessThan(updates);
    }
  }

  @Test
  void droppedConnection_reconnectsAndCatchesUp() throws Exception {
    http.put("/contexts/drop", Map.of("a", 1));
    Replica replica = new Replica();
    try (Live live = Live.connect(server.url(), "/contexts/drop/live")) {
      follow(live, replica, 1);
      server.disconnectAll();
      assertThat(live.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1012);
    }
    http.patch("/contexts/drop", Map.of("b", 2));
    try (Live live = Live.connect(server.url(), resume("drop", replica))) {
      follow(live, replica, 2);
    }
    assertThat(replica.state).isEqualTo(Map.of("a", 1, "b", 2));
  }

  /** The live path of a client that reconnects from what {@code replica} holds. */
  static String resume(String id, Replica replica) {
    return "/contexts/" + id + "/live?version=" + replica.version + "&epoch=" + replica.epoch;
  }

  @Test
  void deleteThroughThisNode_sendsAbsent_thenTheNewIncarnationsCreation() {
    http.put("/contexts/del", Map.of("a", 1));
    String old = epoch("del");
    try (Live live = Live.connect(server.url(), "/contexts/del/live")) {
      assertThat(live.next()).containsEntry("type", "full").containsEntry("epoch", old);
      http.delete("/contexts/del");
      assertThat(live.next()).containsEntry("type", "absent").containsEntry("epoch", null);
      http.put("/contexts/del", Map.of("b", 1));
      String fresh = epoch("del");
      assertThat(fresh).isNotEqualTo(old);
      assertThat(live.next())
          .containsEntry("type", "patch")
          .containsEntry("fromVersion", 0)
          .containsEntry("version", 1)
          .containsEntry("epoch", fresh);
    }
  }

  /**
   * A client that synced the room at version 1 reconnects after the room was deleted and created
   * again, at version 1 too: its (epoch, version) names no current state, so it gets the new room
   * whole, not "no change".
   */
  @Test
  void reconnectAfterTheRoomWasRecreated_getsTheNewRoomWhole() {
    http.put("/contexts/again", Map.of("old", true));
    Replica replica = new Replica();
    try (Live first = Live.connect(server.url(), "/contexts/again/live")) {
      follow(first, replica, 1);
    }
    http.delete("/contexts/again");
    http.put("/contexts/again", Map.of("new", true));
    try (Live again = Live.connect(server.url(), resume("again", replica))) {
      Map<String, Object> message = again.next();
      assertThat(message)
          .containsEntry("type", "full")
          .containsEntry("version", 1)
          .containsEntry("epoch", epoch("again"))
          .containsEntry("context", Map.of("new", true));
      replica.apply(message);
    }
  }

  /**
   * A restore while a client follows: the client gets the restored context whole (new epoch), and
   * then only patches of the new incarnation, even though the old one had versions above the
   * restored one that were still on their way.
   */
  @Test
  void restoreWhileConnected_sendsTheRestoredContextWhole_thenOnlyNewPatches(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path store) {
    server.close();
    server = start(b -> b.storeDir(store).maxConnectionsPerIp(1000));
    http = new Http(server.url());
    http.put("/contexts/rs", Map.of("n", 0));
    http.post("/contexts/rs/export"); // the store holds version 1
    String old = epoch("rs");
    try (Live live = Live.connect(server.url(), "/contexts/rs/live")) {
      Replica replica = follow(live, new Replica(), 1);
      for (int i = 1; i <= 20; i++) {
        http.patch("/contexts/rs", Map.of("n", i));
      }
      assertThat(http.post("/contexts/rs/restore").status()).isEqualTo(200);
      String restored = epoch("rs");
      assertThat(restored).isNotEqualTo(old);
      http.patch("/contexts/rs", Map.of("after", true));
      while (!restored.equals(replica.epoch) || replica.version < 2) {
        replica.apply(live.next()); // Replica refuses any patch not of its own epoch
      }
      assertThat(replica.state).isEqualTo(Map.of("n", 0, "after", true));
      assertThat(replica.state).isEqualTo(data("rs"));
    }
  }

  @Test
  void cleanupDeletingAnExpiredContext_tellsLiveClients() {
    server.close();
    server = start(b -> b.contextTtl(Duration.ofSeconds(1)).maxConnectionsPerIp(1000));
    http = new Http(server.url());
    http.put("/contexts/ttl", Map.of("a", 1));
    try (Live live = Live.connect(server.url(), "/contexts/ttl/live")) {
      assertThat(live.next()).containsEntry("type", "full");
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  ((Number) http.post("/admin/cleanup").json().get("contextsDeleted")).intValue()
                      == 1);
      assertThat(live.next()).containsEntry("type", "absent");
    }
  }

  @Test
  void connectionsPerAddress_areLimited() {
    server.close();
    server = start(b -> b.maxConnectionsPerIp(2));
    try (Live one = Live.connect(server.url(), "/contexts/x/live");
        Live two = Live.connect(server.url(), "/contexts/x/live")) {
      one.next();
      two.next();
      assertThat(Live.refusedStatus(server.url(), "/contexts/x/live", null)).isEqualTo(429);
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> Live.refusedStatus(server.url(), "/contexts/x/live", null) == 101);
  }

  @Test
  void oversizedClientMessage_closesTheConnection() throws Exception {
    try (Live live = Live.connect(server.url(), "/contexts/big/live")) {
      live.next();
      live.sendText("x".repeat(10_000));
      assertThat(live.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1009);
    }
  }

  @Test
  void badLiveParameters_areRefusedBeforeTheUpgrade() {
    assertThat(Live.refusedStatus(server.url(), "/contexts/x/live?version=-1", null))
        .isEqualTo(400);
    assertThat(Live.refusedStatus(server.url(), "/contexts/x/live?epoch=AAAAAAAAAAAA", null))
        .as("an epoch without a version")
        .isEqualTo(400);
    assertThat(Live.refusedStatus(server.url(), "/contexts/x/live?version=1&epoch=short", null))
        .as("a malformed epoch")
        .isEqualTo(400);
    assertThat(Live.refusedStatus(server.url(), "/contexts/x/live?version=1&epoch=", null))
        .as("an empty epoch: not \"no epoch\", which would be the unsafe version-only sync")
        .isEqualTo(400);
    assertThat(Live.refusedStatus(server.url(), "/contexts/x/live?format=xml", null))
        .isEqualTo(400);
    assertThat(Live.refusedStatus(server.url(), "/contexts/" + "x".repeat(200) + "/live", null))
        .isEqualTo(400);
  }
}
