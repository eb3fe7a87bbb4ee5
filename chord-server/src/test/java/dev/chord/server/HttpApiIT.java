package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
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

  String epoch(String id) {
    return (String) http.get("/contexts/" + id).json().get("epoch");
  }

  /** The strong ETag of ({@code epoch}, {@code version}), quotes included. */
  static String etag(String epoch, long version) {
    return "\"" + epoch + "." + version + "\"";
  }

  @Test
  void put_createsThenReplaces_returningContextAndDelta() {
    Http.Reply created = http.put("/contexts/room:1", Map.of("topic", "launch", "n", 1));
    assertThat(created.status()).isEqualTo(201);
    String epoch = (String) created.map("context").get("epoch");
    assertThat(dev.chord.Epochs.isValid(epoch)).as(epoch).isTrue();
    assertThat(created.header("ETag")).isEqualTo(etag(epoch, 1));
    assertThat(created.map("context"))
        .containsEntry("contextId", "room:1")
        .containsEntry("version", 1)
        .containsEntry("data", Map.of("topic", "launch", "n", 1));
    assertThat(created.map("delta")).containsEntry("version", 1);
    assertThat((List<?>) created.map("delta").get("changes")).hasSize(2);

    Http.Reply replaced = http.put("/contexts/room:1", Map.of("topic", "launch"));
    assertThat(replaced.status()).isEqualTo(200);
    assertThat(replaced.map("context"))
        .containsEntry("version", 2)
        .as("a write keeps the epoch")
        .containsEntry("epoch", epoch);
    assertThat(replaced.header("ETag")).isEqualTo(etag(epoch, 2));
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
        .containsEntry("epoch", epoch("room:min"))
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
        .containsOnlyKeys("contextId", "version", "epoch", "insertedAt", "data")
        .containsEntry("contextId", "room:3")
        .containsEntry("version", 1)
        .containsEntry("data", Map.of("x", List.of(1, 2.5, "three", true)));
    assertThat(got.header("ETag")).isEqualTo(etag((String) got.json().get("epoch"), 1));
  }

  @Test
  void sync_givesFullPatchOrNoChange_inEachFormat() {
    http.put("/contexts/s", Map.of("a", 1));
    http.patch("/contexts/s", Map.of("b", Map.of("c~/", 2)));
    http.patch("/contexts/s", Map.of("a", 3));
    String epoch = epoch("s");

    assertThat(http.get("/contexts/s/sync").json())
        .containsEntry("type", "full")
        .containsEntry("version", 3)
        .containsEntry("epoch", epoch)
        .containsEntry("context", Map.of("a", 3, "b", Map.of("c~/", 2)));
    assertThat(http.get("/contexts/s/sync?version=3&epoch=" + epoch).json())
        .isEqualTo(Map.of("type", "no_change", "version", 3, "epoch", epoch));
    assertThat(http.get("/contexts/s/sync?version=3").json())
        .as("version without epoch: as before (unsafe across re-creation)")
        .isEqualTo(Map.of("type", "no_change", "version", 3, "epoch", epoch));

    Map<String, Object> chord = http.get("/contexts/s/sync?version=1&epoch=" + epoch).json();
    assertThat(chord)
        .containsEntry("type", "patch")
        .containsEntry("fromVersion", 1)
        .containsEntry("version", 3)
        .containsEntry("epoch", epoch);
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
    assertThat(http.get("/contexts/s/sync?version=3&epoch=AAAAAAAAAAAAAAAA").json())
        .as("another epoch at the same version is another state")
        .containsEntry("type", "full")
        .containsEntry("epoch", epoch);
    assertThat(http.get("/contexts/nope/sync?version=1").status()).isEqualTo(404);
  }

  @Test
  void ifMatch_commitsOnlyAtThatState_else412WithTheCurrentState() {
    http.put("/contexts/c", Map.of("n", 1));
    String e = epoch("c");
    Http.Reply ok = http.patch("/contexts/c", Map.of("n", 2), "If-Match", etag(e, 1));
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.header("ETag")).isEqualTo(etag(e, 2));

    Http.Reply stale = http.patch("/contexts/c", Map.of("n", 3), "If-Match", etag(e, 1));
    assertThat(stale.status()).isEqualTo(412);
    assertThat(stale.json())
        .containsEntry("error", "version_conflict")
        .containsEntry("currentVersion", 2)
        .containsEntry("currentEpoch", e)
        .containsKey("message");

    Http.Reply stalePut = http.put("/contexts/c", Map.of("n", 2), "If-Match", etag(e, 1));
    assertThat(stalePut.status())
        .as("unchanged data at another version is still a conflict")
        .isEqualTo(412);
    assertThat(http.put("/contexts/c", Map.of("n", 2), "If-Match", etag("AAAAAAAAAAAAAAAA", 2)))
        .as("the right version of another epoch is another state")
        .extracting(Http.Reply::status)
        .isEqualTo(412);

    Http.Reply listed =
        http.patch("/contexts/c", Map.of("n", 3), "If-Match", etag(e, 1) + ", " + etag(e, 2));
    assertThat(listed.status()).as("a list matches when one of its tags does").isEqualTo(200);
    assertThat(listed.header("ETag")).isEqualTo(etag(e, 3));
    assertThat(http.get("/contexts/c").json())
        .containsEntry("version", 3)
        .containsEntry("data", Map.of("n", 3));
  }

  @Test
  void ifMatchStar_needsTheContext_ifNoneMatchStar_needsItAbsent() {
    Http.Reply nothing = http.put("/contexts/star", Map.of("n", 1), "If-Match", "*");
    assertThat(nothing.status()).isEqualTo(412);
    assertThat(nothing.json())
        .containsEntry("error", "version_conflict")
        .containsEntry("currentVersion", 0)
        .containsEntry("currentEpoch", null);
    assertThat(http.get("/contexts/star").status()).as("If-Match: * never creates").isEqualTo(404);
    assertThat(http.patch("/contexts/star", Map.of("n", 1), "If-Match", "*").status())
        .isEqualTo(412);

    Http.Reply created = http.put("/contexts/star", Map.of("n", 1), "If-None-Match", "*");
    assertThat(created.status()).isEqualTo(201);
    String e = epoch("star");
    Http.Reply again = http.put("/contexts/star", Map.of("n", 9), "If-None-Match", "*");
    assertThat(again.status()).isEqualTo(412);
    assertThat(again.json()).containsEntry("currentVersion", 1).containsEntry("currentEpoch", e);
    assertThat(http.patch("/contexts/star", Map.of("n", 9), "If-None-Match", "*").status())
        .isEqualTo(412);

    assertThat(http.put("/contexts/star", Map.of("n", 2), "If-Match", "*").header("ETag"))
        .isEqualTo(etag(e, 2));
    assertThat(http.patch("/contexts/star", Map.of("n", 3), "If-Match", "*").header("ETag"))
        .isEqualTo(etag(e, 3));
    assertThat(http.get("/contexts/star").json()).containsEntry("data", Map.of("n", 3));
  }

  @Test
  void ifMatch_underConcurrentWriters_exactlyOneWinsPerVersion() throws Exception {
    http.put("/contexts/race", Map.of("n", 0));
    String tag = etag(epoch("race"), 1);
    int writers = 8;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(writers);
    try {
      List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
      for (int i = 0; i < writers; i++) {
        int n = i + 1;
        results.add(
            pool.submit(
                () -> http.patch("/contexts/race", Map.of("n", n), "If-Match", tag).status()));
      }
      List<Integer> statuses = new java.util.ArrayList<>();
      for (var f : results) {
        statuses.add(f.get());
      }
      assertThat(statuses).containsOnly(200, 412);
      assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(1);
      assertThat(http.get("/contexts/race").json()).containsEntry("version", 2);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void ifMatchStar_underConcurrentWriters_everyWriteLands() throws Exception {
    http.put("/contexts/stars", Map.of("n", Map.of()));
    int writers = 4;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(writers);
    try {
      List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
      for (int i = 0; i < writers; i++) {
        String key = "w" + i;
        results.add(
            pool.submit(
                () -> {
                  int ok = 0;
                  for (int k = 0; k < 10; k++) {
                    Map<String, Object> change = Map.of("n", Map.of(key, k));
                    ok += http.patch("/contexts/stars", change, "If-Match", "*").status();
                  }
                  return ok;
                }));
      }
      for (var f : results) {
        assertThat(f.get()).as("a concurrent write is no failed precondition").isEqualTo(2000);
      }
      assertThat(http.get("/contexts/stars").json()).containsEntry("version", 41);
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- one room deleted and created again, or restored: versions repeat, epochs do not ----

  /**
   * Issue scenario (a): a client synced the room at version 1; the room is deleted and a new one is
   * created, at version 1 too. Its (old epoch, 1) names no current state: sync and live answer the
   * new room whole instead of "no change".
   */
  @Test
  void recreatedRoom_clientOfTheOldRoom_getsTheNewRoomWhole() {
    http.put("/contexts/room:a", Map.of("title", "old"));
    Map<String, Object> synced = http.get("/contexts/room:a/sync").json();
    String old = (String) synced.get("epoch");
    assertThat(synced).containsEntry("version", 1);

    assertThat(http.delete("/contexts/room:a").status()).isEqualTo(204);
    assertThat(http.put("/contexts/room:a", Map.of("title", "new")).status()).isEqualTo(201);
    String fresh = epoch("room:a");
    assertThat(fresh).isNotEqualTo(old);

    assertThat(http.get("/contexts/room:a/sync?version=1&epoch=" + old).json())
        .containsEntry("type", "full")
        .containsEntry("version", 1)
        .containsEntry("epoch", fresh)
        .containsEntry("context", Map.of("title", "new"));
    try (Live live = Live.connect(server.url(), "/contexts/room:a/live?version=1&epoch=" + old)) {
      assertThat(live.next())
          .containsEntry("type", "full")
          .containsEntry("epoch", fresh)
          .containsEntry("context", Map.of("title", "new"));
    }
  }

  /**
   * Issue scenario (b): exported at version 1, changed to version 2 (a client holds it), restored
   * (version 1, new epoch) and changed to version 2 again. The client's (old epoch, 2) is not the
   * new version 2: sync and live answer full.
   */
  @Test
  void restoredRoom_changedBackToTheClientsVersion_clientGetsItWhole() {
    http.put("/contexts/room:b", Map.of("n", 1));
    assertThat(http.post("/contexts/room:b/export").status()).isEqualTo(200);
    Http.Reply v2 = http.patch("/contexts/room:b", Map.of("n", 2, "client", "saw this"));
    String old = (String) v2.map("context").get("epoch");
    assertThat(v2.map("context")).containsEntry("version", 2);

    Http.Reply restored = http.post("/contexts/room:b/restore");
    String fresh = (String) restored.json().get("epoch");
    assertThat(fresh).isNotEqualTo(old);
    assertThat(restored.header("ETag")).isEqualTo(etag(fresh, 1));
    assertThat(http.patch("/contexts/room:b", Map.of("n", 3)).map("context"))
        .containsEntry("version", 2)
        .containsEntry("epoch", fresh);

    assertThat(http.get("/contexts/room:b/sync?version=2&epoch=" + old).json())
        .containsEntry("type", "full")
        .containsEntry("version", 2)
        .containsEntry("epoch", fresh)
        .containsEntry("context", Map.of("n", 3));
    try (Live live = Live.connect(server.url(), "/contexts/room:b/live?version=2&epoch=" + old)) {
      assertThat(live.next())
          .containsEntry("type", "full")
          .containsEntry("epoch", fresh)
          .containsEntry("context", Map.of("n", 3));
    }
  }

  /**
   * Issue scenario (c): an editor still holding the old room at version 1 writes with its ETag
   * after the room was re-created (again at version 1): 412, and the new room is unchanged.
   */
  @Test
  void editorOfTheOldRoom_ifMatchOldETag_is412_andTheNewRoomIsUnchanged() {
    http.put("/contexts/room:c", Map.of("title", "old"));
    String oldTag = http.get("/contexts/room:c").header("ETag");
    http.delete("/contexts/room:c");
    http.put("/contexts/room:c", Map.of("title", "new"));
    String fresh = epoch("room:c");

    Http.Reply put = http.put("/contexts/room:c", Map.of("title", "edited"), "If-Match", oldTag);
    assertThat(put.status()).isEqualTo(412);
    assertThat(put.json())
        .containsEntry("error", "version_conflict")
        .containsEntry("currentVersion", 1)
        .containsEntry("currentEpoch", fresh);
    assertThat(http.patch("/contexts/room:c", Map.of("x", 1), "If-Match", oldTag).status())
        .isEqualTo(412);
    Http.Reply now = http.get("/contexts/room:c");
    assertThat(now.json())
        .containsEntry("version", 1)
        .containsEntry("epoch", fresh)
        .containsEntry("data", Map.of("title", "new"));
    assertThat(now.header("ETag")).isEqualTo(etag(fresh, 1));
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

    String before = epoch("room:e");
    Http.Reply restored = http.post("/contexts/room:e/restore");
    assertThat(restored.status()).isEqualTo(200);
    assertThat((String) restored.json().get("epoch"))
        .as("a restore starts a new incarnation")
        .isNotEqualTo(before);
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

  /**
   * A restore may store any version below {@link Long#MAX_VALUE}; the ETag the server then hands
   * out, nineteen digits long, must be one it takes back. And a tag naming the same version with
   * leading zeros is not that tag: strong comparison is octet equality.
   */
  @Test
  void nineteenDigitVersion_itsETagIsTakenBack_leadingZerosAreNot() throws Exception {
    long version = 1_000_000_000_000_000_000L;
    Files.writeString(
        store.resolve("room%3Abig.json"),
        "{\"contextId\": \"room:big\", \"version\": "
            + version
            + ", \"insertedAt\": 0, \"data\": {\"a\": 1}}");
    Http.Reply restored = http.post("/contexts/room:big/restore");
    assertThat(restored.status()).isEqualTo(200);
    String epoch = (String) restored.json().get("epoch");
    String tag = restored.header("ETag");
    assertThat(tag).isEqualTo(etag(epoch, version));

    Http.Reply padded =
        http.patch(
            "/contexts/room:big", Map.of("a", 2), "If-Match", "\"" + epoch + ".0" + version + "\"");
    assertThat(padded.status()).isEqualTo(400);
    assertThat(padded.json()).containsEntry("error", "bad_request");

    Http.Reply changed = http.patch("/contexts/room:big", Map.of("a", 3), "If-Match", tag);
    assertThat(changed.status()).isEqualTo(200);
    assertThat(changed.header("ETag")).isEqualTo(etag(epoch, version + 1));
    assertThat(http.get("/contexts/room:big").json())
        .containsEntry("version", version + 1)
        .containsEntry("data", Map.of("a", 3));
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
