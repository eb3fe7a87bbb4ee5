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

  @Test
  void initialMessage_isTheSyncResultForTheClientsVersion() {
    try (Live absent = Live.connect(server.url(), "/contexts/none/live")) {
      assertThat(absent.next()).containsEntry("type", "absent").containsEntry("version", 0);
    }
    http.put("/contexts/r", Map.of("a", 1));
    http.patch("/contexts/r", Map.of("b", 2));
    try (Live full = Live.connect(server.url(), "/contexts/r/live")) {
      assertThat(full.next())
          .containsEntry("type", "full")
          .containsEntry("version", 2)
          .containsEntry("context", Map.of("a", 1, "b", 2));
    }
    try (Live patch = Live.connect(server.url(), "/contexts/r/live?version=1&format=json-patch")) {
      assertThat(patch.next())
          .containsEntry("type", "patch")
          .containsEntry("fromVersion", 1)
          .containsEntry("version", 2)
          .containsEntry("delta", List.of(Map.of("op", "add", "path", "/b", "value", 2)));
    }
    try (Live current = Live.connect(server.url(), "/contexts/r/live?version=2")) {
      assertThat(current.next()).containsEntry("type", "no_change").containsEntry("version", 2);
    }
  }

  @Test
  void everyLaterDelta_arrivesInVersionOrder_fromConcurrentWriters() throws Exception {
    http.put("/contexts/busy", Map.of("n", Map.of()));
    try (Live a = Live.connect(server.url(), "/contexts/busy/live");
        Live b = Live.connect(server.url(), "/contexts/busy/live?version=1")) {
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
      Replica rb = follow(b, new Replica(Map.of("n", Map.of()), 1), version);
      assertThat(ra.state).isEqualTo(data("busy"));
      assertThat(rb.state).isEqualTo(data("busy"));
      assertThat(ra.patches).isEqualTo(200);
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
    try (Live again = Live.connect(server.url(), "/contexts/re/live?version=" + replica.version)) {
      Map<String, Object> message = again.next();
      assertThat(message)
          .containsEntry("type", "patch")
          .containsEntry("fromVersion", 1)
          .containsEntry("version", 3);
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
    try (Live live = Live.connect(server.url(), "/contexts/drop/live?version=1")) {
      follow(live, replica, 2);
    }
    assertThat(replica.state).isEqualTo(Map.of("a", 1, "b", 2));
  }

  @Test
  void deleteAndRestoreThroughThisNode_resyncLiveClients() {
    http.put("/contexts/del", Map.of("a", 1));
    try (Live live = Live.connect(server.url(), "/contexts/del/live")) {
      assertThat(live.next()).containsEntry("type", "full");
      http.delete("/contexts/del");
      assertThat(live.next()).containsEntry("type", "absent");
      http.put("/contexts/del", Map.of("b", 1));
      assertThat(live.next())
          .containsEntry("type", "patch")
          .containsEntry("fromVersion", 0)
          .containsEntry("version", 1);
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
    assertThat(Live.refusedStatus(server.url(), "/contexts/x/live?format=xml", null))
        .isEqualTo(400);
    assertThat(Live.refusedStatus(server.url(), "/contexts/" + "x".repeat(200) + "/live", null))
        .isEqualTo(400);
  }
}
