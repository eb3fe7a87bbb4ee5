package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scrapes a running server's /metrics and checks the values known operations leave. */
class MetricsIT {
  private ChordServer server;
  private Http http;

  @BeforeEach
  void start() {
    server = ServerFixture.start(b -> b.wsQueueLimit(2));
    http = new Http(server.url());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Scrape scrape() {
    Http.Reply reply = http.get("/metrics");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.header("Content-Type")).startsWith("text/plain; version=0.0.4");
    return new Scrape(reply.body());
  }

  private static double ops(Scrape s, String operation, String outcome) {
    return s.value("chord_operations_seconds_count", "operation", operation, "outcome", outcome);
  }

  @Test
  void knownOperations_leaveKnownValues() {
    assertThat(http.put("/contexts/room:1", Map.of("a", 1)).status()).isEqualTo(201);
    Http.Reply created = http.get("/contexts/room:1");
    String epoch = (String) created.json().get("epoch");
    assertThat(http.patch("/contexts/room:1", Map.of("a", 2)).status()).isEqualTo(200);
    assertThat(http.patch("/contexts/room:1", Map.of("a", 2)).status()).isEqualTo(200);
    assertThat(
            http.put("/contexts/room:1", Map.of("a", 3), "If-Match", "\"" + epoch + ".1\"")
                .status())
        .isEqualTo(412);
    assertThat(http.get("/contexts/ghost").status()).isEqualTo(404);
    http.get("/contexts/room:1/sync?version=1&epoch=" + epoch); // patch
    http.get("/contexts/room:1/sync?version=2&epoch=" + epoch); // no change
    http.get("/contexts/room:1/sync"); // full: no version
    http.get("/contexts/room:1/sync?version=1&epoch=AAAAAAAAAAAAAAAA"); // full: other epoch

    Scrape s = scrape();
    assertThat(ops(s, "set", "ok")).isEqualTo(1);
    assertThat(ops(s, "set", "conflict")).isEqualTo(1);
    assertThat(ops(s, "update", "ok")).isEqualTo(1);
    assertThat(ops(s, "update", "unchanged")).isEqualTo(1);
    assertThat(ops(s, "get", "not_found")).isEqualTo(1);
    assertThat(s.value("chord_sync_results_total", "result", "patch")).isEqualTo(1);
    assertThat(s.value("chord_sync_results_total", "result", "no_change")).isEqualTo(1);
    assertThat(s.value("chord_sync_results_total", "result", "full", "reason", "no_version"))
        .isEqualTo(1);
    assertThat(s.value("chord_sync_results_total", "result", "full", "reason", "other_epoch"))
        .isEqualTo(1);
    assertThat(s.value("chord_delta_changes_count")).isEqualTo(2);
    assertThat(s.value("chord_contexts")).isEqualTo(1);
    assertThat(s.value("chord_deltas")).isEqualTo(2);
    assertThat(s.has("chord_operations_seconds_bucket", "operation", "set", "le", "1.0E-6"))
        .as("the server turns histogram buckets on")
        .isTrue();

    assertThat(
            s.value(
                "jetty_server_requests_seconds_count",
                "method",
                "PUT",
                "uri",
                "/contexts/{id}",
                "status",
                "201"))
        .isEqualTo(1);
    assertThat(
            s.value(
                "jetty_server_requests_seconds_count",
                "method",
                "PUT",
                "uri",
                "/contexts/{id}",
                "status",
                "412"))
        .isEqualTo(1);
    assertThat(
            s.value(
                "jetty_server_requests_seconds_count",
                "method",
                "GET",
                "uri",
                "/contexts/{id}/sync",
                "status",
                "200"))
        .isEqualTo(4);
    assertThat(
            s.value(
                "jetty_server_requests_seconds_count",
                "uri",
                "/contexts/{id}/live",
                "status",
                "101"))
        .as("no live connection yet")
        .isZero();
    assertThat(s.names())
        .contains(
            "jvm_memory_used_bytes",
            "jvm_threads_live_threads",
            "process_uptime_seconds",
            "process_cpu_usage",
            "jetty_connections_current_connections");
  }

  @Test
  void unknownPaths_shareOneRouteTag() {
    http.get("/no/such/path/1");
    http.get("/no/such/path/2");
    Scrape s = scrape();
    assertThat(s.value("jetty_server_requests_seconds_count", "uri", "NOT_FOUND", "status", "404"))
        .isEqualTo(2);
    assertThat(s.sum("jetty_server_requests_seconds_count", "uri", "/no/such/path/1")).isZero();
  }

  @Test
  void livePath_connectionsMessagesLagMerges() {
    http.put("/contexts/room:2", Map.of("n", 0));
    try (Live live = Live.connect(server.url(), "/contexts/room:2/live")) {
      assertThat(live.next().get("type")).isEqualTo("full");
      await().until(() -> scrape().value("chord_live_connections") == 1);
      assertThat(
              scrape()
                  .value(
                      "jetty_server_requests_seconds_count",
                      "uri",
                      "/contexts/{id}/live",
                      "status",
                      "101"))
          .isEqualTo(1);
      http.patch("/contexts/room:2", Map.of("n", 1));
      assertThat(live.next().get("type")).isEqualTo("patch");
      Scrape s = scrape();
      assertThat(s.value("chord_live_messages_total", "type", "full")).isEqualTo(1);
      assertThat(s.value("chord_live_messages_total", "type", "patch")).isEqualTo(1);
      assertThat(s.value("chord_live_lag_seconds_count")).isEqualTo(1);
      assertThat(s.value("chord_live_queue_depth_messages_count")).isEqualTo(1);
      http.delete("/contexts/room:2");
      assertThat(live.next().get("type")).isEqualTo("absent");
      assertThat(scrape().value("chord_live_messages_total", "type", "absent")).isEqualTo(1);
    }
    await().until(() -> scrape().value("chord_live_connections") == 0);
  }

  @Test
  void overflowingQueue_countsMerges() {
    http.put("/contexts/room:3", Map.of("n", 0));
    try (Live live = Live.connect(server.url(), "/contexts/room:3/live", false, null)) {
      live.request(1);
      assertThat(live.next().get("type")).isEqualTo("full");
      // The client reads nothing more: once the socket's buffers are full, the queue (2) fills
      // and overflows.
      String big = "x".repeat(200_000);
      for (int i = 1; i <= 60; i++) {
        http.patch("/contexts/room:3", Map.of("n", i, "big", big + i));
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  scrape().value("chord_live_merged_total")
                          + scrape().value("chord_live_resyncs_total")
                      > 0);
    }
  }
}
