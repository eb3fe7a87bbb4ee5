package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Origin check on WebSocket upgrades and CORS on the HTTP API, over real sockets. Browsers
 * apply no CORS to WebSockets: without the check, any web page a visitor opens could follow every
 * context of an open server on the visitor's machine (ws://127.0.0.1:7070).
 */
class OriginIT {
  static final String APP = "https://app.example.com";
  static final String EVIL = "http://evil.example";
  static ChordServer server;
  static Http http;

  @BeforeAll
  static void start() {
    server = ServerFixture.start(b -> b.allowedOrigins(List.of(APP)));
    http = new Http(server.url());
    assertThat(http.put("/contexts/room:o", Map.of("secret", 1)).status()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String self(ChordServer s) {
    return "http://127.0.0.1:" + s.port();
  }

  static int upgrade(ChordServer s, String origin) {
    return Live.upgradeStatus(
        s.url(), "/contexts/room:o/live", origin == null ? Map.of() : Map.of("Origin", origin));
  }

  @Test
  void webSocketUpgrade_fromAnotherOrigin_isRefused403_sameListedAndNoOriginAccepted() {
    assertThat(upgrade(server, EVIL)).isEqualTo(403);
    assertThat(upgrade(server, "null")).as("an opaque origin (file:, sandbox)").isEqualTo(403);
    assertThat(upgrade(server, "http://app.example.com")).as("another scheme").isEqualTo(403);
    assertThat(upgrade(server, "https://app.example.com:8443")).as("another port").isEqualTo(403);
    assertThat(upgrade(server, "http://127.0.0.1:1")).as("this host, another port").isEqualTo(403);

    assertThat(upgrade(server, self(server))).as("same origin").isEqualTo(101);
    assertThat(upgrade(server, APP)).as("listed").isEqualTo(101);
    assertThat(upgrade(server, "https://APP.example.com:443")).as("the same origin").isEqualTo(101);
    assertThat(upgrade(server, null)).as("no Origin: not a browser").isEqualTo(101);
  }

  @Test
  void withoutAllowedOrigins_onlyTheServersOwnPagesMayUpgrade_andWithStarEveryOne() {
    try (ChordServer closed = ServerFixture.start(b -> b);
        ChordServer open = ServerFixture.start(b -> b.allowedOrigins(List.of("*")))) {
      new Http(closed.url()).put("/contexts/room:o", Map.of("a", 1));
      new Http(open.url()).put("/contexts/room:o", Map.of("a", 1));
      assertThat(upgrade(closed, EVIL)).isEqualTo(403);
      assertThat(upgrade(closed, APP)).isEqualTo(403);
      assertThat(upgrade(closed, self(closed))).isEqualTo(101);
      assertThat(upgrade(open, EVIL)).isEqualTo(101);
      try (Live live = Live.connect(open.url(), "/contexts/room:o/live", Map.of("Origin", EVIL))) {
        assertThat(live.next()).containsEntry("type", "full");
      }
    }
  }

  @Test
  void corsHeaders_onlyForAnAllowedCrossOrigin_errorsIncluded() {
    Http.Reply listed = http.raw("GET", "/contexts/room:o", null, "Origin", APP);
    assertThat(listed.status()).isEqualTo(200);
    assertThat(listed.header("Access-Control-Allow-Origin")).isEqualTo(APP);
    assertThat(listed.header("Vary")).isEqualTo("Origin");
    assertThat(listed.header("Access-Control-Expose-Headers")).isEqualTo("ETag");

    Http.Reply missing = http.raw("GET", "/contexts/room:none", null, "Origin", APP);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.header("Access-Control-Allow-Origin"))
        .as("the page can read the error")
        .isEqualTo(APP);

    for (String other : new String[] {EVIL, self(server), null}) {
      Http.Reply reply =
          other == null
              ? http.get("/contexts/room:o")
              : http.raw("GET", "/contexts/room:o", null, "Origin", other);
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.raw().headers().map().keySet())
          .as("no CORS header for %s", other)
          .noneMatch(name -> name.toLowerCase(java.util.Locale.ROOT).startsWith("access-control"));
      // A shared cache must not hand this answer, without CORS headers, to the allowed origin.
      assertThat(reply.header("Vary")).as("Vary for %s", other).isEqualTo("Origin");
    }
    assertThat(http.put("/contexts/room:o", Map.of("x", 1), "Origin", EVIL).header("Vary"))
        .as("a refusal depends on the Origin too")
        .isEqualTo("Origin");
  }

  @Test
  void preflight_answersTheAllowedOriginOnly() {
    Http.Reply allowed =
        http.raw(
            "OPTIONS",
            "/contexts/room:o",
            null,
            "Origin",
            APP,
            "Access-Control-Request-Method",
            "PATCH",
            "Access-Control-Request-Headers",
            "if-match, content-type");
    assertThat(allowed.status()).isEqualTo(204);
    assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo(APP);
    assertThat(allowed.header("Access-Control-Allow-Methods"))
        .isEqualTo("GET, PUT, PATCH, DELETE, POST, OPTIONS");
    assertThat(allowed.header("Access-Control-Allow-Headers"))
        .isEqualTo("Authorization, Content-Type, If-Match, If-None-Match, Prefer");
    assertThat(allowed.header("Access-Control-Max-Age")).isEqualTo("600");
    assertThat(
            http.raw("OPTIONS", "/contexts/room:o/sync", null, "Origin", APP)
                .header("Access-Control-Allow-Origin"))
        .isEqualTo(APP);

    Http.Reply refused =
        http.raw(
            "OPTIONS",
            "/contexts/room:o",
            null,
            "Origin",
            EVIL,
            "Access-Control-Request-Method",
            "PUT");
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json()).containsEntry("error", "forbidden_origin");
    assertThat(refused.header("Access-Control-Allow-Origin")).isNull();
    assertThat(refused.header("Access-Control-Allow-Methods")).isNull();
  }

  @Test
  void writesFromAForbiddenOrigin_areRefused_andStoreNothing() {
    Http.Reply put = http.put("/contexts/room:o", Map.of("secret", 2), "Origin", EVIL);
    assertThat(put.status()).isEqualTo(403);
    assertThat(put.json()).containsEntry("error", "forbidden_origin").containsKey("message");
    assertThat(http.raw("DELETE", "/contexts/room:o", null, "Origin", EVIL).status())
        .isEqualTo(403);
    // A bodiless POST is a "simple" request: a browser sends it cross-origin without a preflight.
    assertThat(http.raw("POST", "/admin/cleanup", null, "Origin", EVIL).status()).isEqualTo(403);
    assertThat(http.get("/contexts/room:o").json())
        .containsEntry("version", 1)
        .containsEntry("data", Map.of("secret", 1));

    assertThat(http.patch("/contexts/room:o", Map.of("n", 1), "Origin", APP).status())
        .isEqualTo(200);
    assertThat(http.patch("/contexts/room:o", Map.of("n", 2), "Origin", self(server)).status())
        .isEqualTo(200);
  }

  @Test
  void allowedOrigins_mustBeOrigins() {
    for (String bad : List.of("app.example.com", "https://app.example.com/", "ftp://x.example")) {
      assertThatThrownBy(() -> ChordServer.builder().allowedOrigins(List.of(bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(bad);
    }
  }
}
