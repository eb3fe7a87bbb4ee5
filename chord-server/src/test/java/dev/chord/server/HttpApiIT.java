package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpApiIT {
  /** Starts the server under test; the Redis variant adds its backend. */
  ChordServer start(java.util.function.UnaryOperator<ChordServer.Builder> settings) {
    return ServerFixture.start(settings);
  }

  String backendName() {
    return "memory";
  }

  @TempDir Path store;
  ChordServer server;
  Http http;

  @BeforeEach
  void startServer() {
    server = start(b -> b.storeDir(store));
    http = new Http(server.url());
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  @Test
  void put_createsThenReplaces_returningContextAndDelta() {
    Http.Reply created = http.put("/contexts/room:1", Map.of("topic", "launch", "n", 1));
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.header("ETag")).isEqualTo("\"1\"");
    assertThat(created.map("context"))
        .containsEntry("contextId", "room:1")
        .containsEntry("version", 1)
        .containsEntry("data", Map.of("topic", "launch", "n", 1));
    assertThat(created.map("delta")).containsEntry("version", 1);
    assertThat((List<?>) created.map("delta").get("changes")).hasSize(2);

    Http.Reply replaced = http.put("/contexts/room:1", Map.of("topic", "launch"));
    assertThat(replaced.status()).isEqualTo(200);
    assertThat(replaced.map("context")).containsEntry("version", 2);
    assertThat(replaced.map("delta").get("changes"))
        .isEqualTo(
            List.of(
                Map.of(
                    "key",
                    List.of("n"),
                    "action",
                    "removed",
                    "old_value",
                    1,
                    "context_id",
                    "room:1")));

    Http.Reply same = http.put("/contexts/room:1", Map.of("topic", "launch"));
    assertThat(same.status()).isEqualTo(200);
    assertThat(same.json()).containsEntry("changed", false).containsEntry("delta", null);
    assertThat(same.map("context")).containsEntry("version", 2);
  }

  @Test
  void patch_deepMerges_and404sWhenAbsent() {
    assertThat(http.patch("/contexts/room:2", Map.of("a", 1)).status()).isEqualTo(404);
    http.put("/contexts/room:2", Map.of("people", Map.of("ann", Map.of("status", "away"))));
    Http.Reply patched =
        http.patch("/contexts/room:2", Map.of("people", Map.of("bob", Map.of("status", "busy"))));
    assertThat(patched.status()).isEqualTo(200);
    assertThat(patched.map("context").get("data"))
        .isEqualTo(
            Map.of(
                "people",
                Map.of("ann", Map.of("status", "away"), "bob", Map.of("status", "busy"))));
  }

  @Test
  void preferReturnMinimal_leavesTheDataOutOfWriteResponses() {
    http.put("/contexts/room:min", Map.of("big", "x".repeat(1000)));
    Http.Reply reply = http.patch("/contexts/room:min", Map.of("n", 1), "Prefer", "return=minimal");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.header("Preference-Applied")).isEqualTo("return=minimal");
    assertThat(reply.map("context"))
        .containsEntry("version", 2)
        .containsKey("insertedAt")
        .doesNotContainKey("data");
    assertThat(reply.map("delta")).containsEntry("version", 2);
  }

  @Test
  void get_returnsContextWithVersionAndInsertedAt() {
    assertThat(http.get("/contexts/room:3").status()).isEqualTo(404);
    assertThat(http.get("/contexts/room:3").json()).containsEntry("error", "not_found");
    http.put("/contexts/room:3", Map.of("x", List.of(1, 2.5, "three", true)));
    Http.Reply got = http.get("/contexts/room:3");
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.json())
        .containsEntry("contextId", "room:3")
        .containsEntry("version", 1)
        .containsEntry("data", Map.of("x", List.of(1, 2.5, "three", true)))
        .containsKey("insertedAt");
  }

  @Test
  void sync_givesFullPatchOrNoChange_inEachFormat() {
    http.put("/contexts/s", Map.of("a", 1));
    http.patch("/contexts/s", Map.of("b", Map.of("c~/", 2)));
    http.patch("/contexts/s", Map.of("a", 3));

    assertThat(http.get("/contexts/s/sync").json())
        .containsEntry("type", "full")
        .containsEntry("version", 3)
        .containsEntry("context", Map.of("a", 3, "b", Map.of("c~/", 2)));
    assertThat(http.get("/contexts/s/sync?version=3").json())
        .isEqualTo(Map.of("type", "no_change", "version", 3));

    Map<String, Object> chord = http.get("/contexts/s/sync?version=1").json();
    assertThat(chord)
        .containsEntry("type", "patch")
        .containsEntry("fromVersion", 1)
        .containsEntry("version", 3);
    assertThat(((Map<?, ?>) chord.get("delta")).get("changes")).asList().hasSize(2);

    Map<String, Object> jsonPatch = http.get("/contexts/s/sync?version=1&format=json-patch").json();
    assertThat(jsonPatch.get("delta"))
        .isEqualTo(
            List.of(
                Map.of("op", "replace", "path", "/a", "value", 3),
                Map.of("op", "add", "path", "/b", "value", Map.of("c~/", 2))));

    Map<String, Object> nested = http.get("/contexts/s/sync?version=2&format=nested").json();
    assertThat(nested.get("delta"))
        .isEqualTo(Map.of("a", Map.of("action", "modified", "old_value", 1, "value", 3)));

    assertThat(http.get("/contexts/s/sync?version=99").json()).containsEntry("type", "full");
    assertThat(http.get("/contexts/nope/sync?version=1").status()).isEqualTo(404);
  }

  @Test
  void ifMatch_commitsOnlyAtThatVersion_else409WithCurrentVersion() {
    http.put("/contexts/c", Map.of("n", 1));
    Http.Reply ok = http.patch("/contexts/c", Map.of("n", 2), "If-Match", "\"1\"");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.header("ETag")).isEqualTo("\"2\"");

    Http.Reply stale = http.patch("/contexts/c", Map.of("n", 3), "If-Match", "1");
    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.json())
        .containsEntry("error", "version_conflict")
        .containsEntry("currentVersion", 2);

    Http.Reply stalePut = http.put("/contexts/c", Map.of("n", 2), "If-Match", "1");
    assertThat(stalePut.status())
        .as("unchanged data at another version is still a conflict")
        .isEqualTo(409);

    assertThat(http.put("/contexts/c", Map.of("n", 9), "If-Match", "0").status()).isEqualTo(409);
    assertThat(http.put("/contexts/fresh", Map.of("n", 9), "If-Match", "0").status())
        .isEqualTo(201);
    assertThat(http.get("/contexts/c").json())
        .containsEntry("version", 2)
        .containsEntry("data", Map.of("n", 2));
  }

  @Test
  void ifMatch_underConcurrentWriters_exactlyOneWinsPerVersion() throws Exception {
    http.put("/contexts/race", Map.of("n", 0));
    int writers = 8;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(writers);
    try {
      List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
      for (int i = 0; i < writers; i++) {
        int n = i + 1;
        results.add(
            pool.submit(
                () -> http.patch("/contexts/race", Map.of("n", n), "If-Match", "1").status()));
      }
      List<Integer> statuses = new java.util.ArrayList<>();
      for (var f : results) {
        statuses.add(f.get());
      }
      assertThat(statuses).containsOnly(200, 409);
      assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(1);
      assertThat(http.get("/contexts/race").json()).containsEntry("version", 2);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void delete_removesTheContext_idempotently() {
    http.put("/contexts/d", Map.of("a", 1));
    assertThat(http.delete("/contexts/d").status()).isEqualTo(204);
    assertThat(http.get("/contexts/d").status()).isEqualTo(404);
    assertThat(http.delete("/contexts/d").status()).isEqualTo(204);
  }

  @Test
  void exportThenRestore_roundTripsThroughTheStoreDirectory() {
    http.put("/contexts/room:e", Map.of("a", Map.of("b", List.of(1, 2)), "big", 12345678901L));
    http.patch("/contexts/room:e", Map.of("c", 1.5));
    assertThat(http.post("/contexts/room:e/export").status()).isEqualTo(200);
    http.patch("/contexts/room:e", Map.of("c", 99));

    Http.Reply restored = http.post("/contexts/room:e/restore");
    assertThat(restored.status()).isEqualTo(200);
    assertThat(restored.json())
        .containsEntry("version", 2)
        .containsEntry(
            "data", Map.of("a", Map.of("b", List.of(1, 2)), "big", 12345678901L, "c", 1.5));
    assertThat(http.get("/contexts/room:e").json()).containsEntry("version", 2);
    assertThat(http.get("/contexts/room:e/sync?version=1").json())
        .as("history before a restore is gone: a client syncs with the full context")
        .containsEntry("type", "full");

    assertThat(http.post("/contexts/room:never/export").status()).isEqualTo(404);
    assertThat(http.post("/contexts/room:never/restore").status()).isEqualTo(404);
  }

  @Test
  void exportWithoutStore_is501() {
    try (ChordServer bare = start(b -> b)) {
      Http h = new Http(bare.url());
      h.put("/contexts/x", Map.of("a", 1));
      Http.Reply reply = h.post("/contexts/x/export");
      assertThat(reply.status()).isEqualTo(501);
      assertThat(reply.json()).containsEntry("error", "not_configured");
    }
  }

  @Test
  void cleanup_reportsWhatItDropped() {
    http.put("/contexts/k", Map.of("a", 1));
    Http.Reply reply = http.post("/admin/cleanup");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.json()).containsEntry("contextsDeleted", 0).containsEntry("deltasDeleted", 0);
    assertThat(http.post("/admin/cleanup?limit=10").status()).isEqualTo(200);
    assertThat(http.post("/admin/cleanup?limit=0").status()).isEqualTo(400);
  }

  @Test
  void health_staticFiles_andUnknownRoutes() {
    assertThat(http.get("/health").json())
        .containsEntry("status", "ok")
        .containsEntry("backend", backendName());
    Http.Reply client = http.get("/chord-client.js");
    assertThat(client.status()).isEqualTo(200);
    assertThat(client.header("Content-Type")).contains("javascript");
    assertThat(client.body()).contains("export class ChordClient");
    assertThat(http.get("/").body()).contains("Team room");
    Http.Reply unknown = http.get("/nowhere");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json()).containsEntry("error", "not_found");
    Http.Reply wrongMethod = http.post("/health");
    assertThat(wrongMethod.status()).isEqualTo(405);
    assertThat(wrongMethod.json()).containsEntry("error", "method_not_allowed");
  }
}
