package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With --auth-secret every request needs a valid token for its context and right. */
class AuthIT {
  static final String SECRET = "test-secret-0123456789";
  static final Instant NOW = Instant.now();
  static ChordServer server;
  static Http anonymous;

  @BeforeAll
  static void start() {
    server = ServerFixture.start(b -> b.authSecret(SECRET).clock(Clock.fixed(NOW, ZoneOffset.UTC)));
    anonymous = new Http(server.url());
    assertThat(as("*", Right.WRITE).put("/contexts/room:1", Map.of("a", 1)).status())
        .isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String token(String scope, Set<Right> rights, Duration ttl) {
    return Tokens.mint(SECRET, scope, rights, NOW.plus(ttl));
  }

  static Http as(String scope, Right... rights) {
    return anonymous.withToken(token(scope, EnumSet.of(rights[0], rights), Duration.ofHours(1)));
  }

  @Test
  void validToken_readsAndWrites() {
    Http rw = as("room:1", Right.READ, Right.WRITE);
    assertThat(rw.get("/contexts/room:1").status()).isEqualTo(200);
    assertThat(rw.patch("/contexts/room:1", Map.of("b", 2)).status()).isEqualTo(200);
    assertThat(as("room:*", Right.READ).get("/contexts/room:1").status()).isEqualTo(200);
  }

  @Test
  void missingToken_is401() {
    Http.Reply reply = anonymous.get("/contexts/room:1");
    assertThat(reply.status()).isEqualTo(401);
    assertThat(reply.json()).containsEntry("error", "unauthorized");
    assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer");
    assertThat(anonymous.patch("/contexts/room:1", Map.of("x", 1)).status()).isEqualTo(401);
  }

  @Test
  void expiredToken_is401() {
    Http expired =
        anonymous.withToken(token("room:1", EnumSet.allOf(Right.class), Duration.ofSeconds(-1)));
    assertThat(expired.get("/contexts/room:1").status()).isEqualTo(401);
  }

  @Test
  void forgedToken_is401() {
    String foreign =
        Tokens.mint(
            "some-other-secret-1234", "*", EnumSet.allOf(Right.class), NOW.plusSeconds(600));
    assertThat(anonymous.withToken(foreign).get("/contexts/room:1").status()).isEqualTo(401);
    assertThat(anonymous.withToken("v1.e30.AAAA").get("/contexts/room:1").status()).isEqualTo(401);
    assertThat(anonymous.withToken("not-a-token").get("/contexts/room:1").status()).isEqualTo(401);
  }

  @Test
  void tokenForAnotherContext_is403() {
    Http other = as("room:2", Right.READ, Right.WRITE);
    Http.Reply reply = other.get("/contexts/room:1");
    assertThat(reply.status()).isEqualTo(403);
    assertThat(reply.json()).containsEntry("error", "forbidden");
    assertThat(as("room:1x*", Right.READ).get("/contexts/room:1").status()).isEqualTo(403);
  }

  @Test
  void tokenWithoutTheRight_is403_andStoresNothing() {
    Http reader = as("room:1", Right.READ);
    assertThat(reader.patch("/contexts/room:1", Map.of("hacked", true)).status()).isEqualTo(403);
    assertThat(reader.put("/contexts/room:1", Map.of("hacked", true)).status()).isEqualTo(403);
    assertThat(reader.delete("/contexts/room:1").status()).isEqualTo(403);
    assertThat(as("room:1", Right.WRITE).get("/contexts/room:1").status()).isEqualTo(403);
    assertThat(as("room:1", Right.WRITE).post("/contexts/room:1/export").status()).isEqualTo(403);
    assertThat(reader.get("/contexts/room:1").map("data")).doesNotContainKey("hacked");
  }

  @Test
  void cleanup_needsAdminOnEveryContext() {
    assertThat(anonymous.post("/admin/cleanup").status()).isEqualTo(401);
    assertThat(as("room:*", Right.ADMIN).post("/admin/cleanup").status()).isEqualTo(403);
    assertThat(as("*", Right.READ, Right.WRITE).post("/admin/cleanup").status()).isEqualTo(403);
    assertThat(as("*", Right.ADMIN).post("/admin/cleanup").status()).isEqualTo(200);
  }

  @Test
  void live_needsAReadToken_inTheHeaderOrTheQuery() {
    String url = server.url();
    assertThat(Live.refusedStatus(url, "/contexts/room:1/live", null)).isEqualTo(401);
    assertThat(
            Live.refusedStatus(
                url,
                "/contexts/room:1/live",
                token("room:2", EnumSet.of(Right.READ), Duration.ofHours(1))))
        .isEqualTo(403);
    assertThat(
            Live.refusedStatus(
                url,
                "/contexts/room:1/live",
                token("room:1", EnumSet.of(Right.WRITE), Duration.ofHours(1))))
        .isEqualTo(403);
    assertThat(
            Live.refusedStatus(
                url,
                "/contexts/room:1/live",
                token("room:1", EnumSet.of(Right.READ), Duration.ofSeconds(-5))))
        .isEqualTo(401);

    try (Live header =
        Live.connect(
            url,
            "/contexts/room:1/live",
            true,
            token("room:1", EnumSet.of(Right.READ), Duration.ofHours(1)))) {
      assertThat(header.next()).containsEntry("type", "full");
    }
    String query = token("room:*", EnumSet.of(Right.READ), Duration.ofHours(1));
    try (Live viaQuery = Live.connect(url, "/contexts/room:1/live?token=" + query)) {
      assertThat(viaQuery.next()).containsEntry("type", "full");
    }
  }

  /**
   * A token is checked when the socket opens; the socket must not outlive it. Real time: the
   * server's scheduler runs on the system clock, and tokens expire on whole seconds.
   */
  @Test
  void liveSocket_isClosed4401_whenItsTokenExpires_andAScheduledCloseEndsWithTheSocket()
      throws Exception {
    try (ChordServer timed = ServerFixture.start(b -> b.authSecret(SECRET))) {
      String url = timed.url();
      Instant now = Instant.now();
      String shortLived = Tokens.mint(SECRET, "room:1", EnumSet.of(Right.READ), now.plusSeconds(2));
      String longLived =
          Tokens.mint(SECRET, "room:1", EnumSet.of(Right.READ), now.plusSeconds(3600));
      try (Live expiring = Live.connect(url, "/contexts/room:1/live", true, shortLived);
          Live lasting = Live.connect(url, "/contexts/room:1/live?token=" + longLived)) {
        assertThat(expiring.next()).containsEntry("type", "absent");
        assertThat(lasting.next()).containsEntry("type", "absent");
        await() // scheduled once the initial message is on its way
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(timed.scheduledExpiries()).isEqualTo(2));
        assertThat(expiring.closed.get(20, TimeUnit.SECONDS)).isEqualTo(4401);
        assertThat(expiring.closeReason).isEqualTo("token_expired");
        assertThat(lasting.closed).as("the other token is still valid").isNotDone();
        await() // the closed socket's drop, scheduled with its close, is cancelled when it ends
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(timed.scheduledExpiries()).isEqualTo(1));
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(timed.scheduledExpiries()).isZero());
    }
  }

  /**
   * A token may be minted to expire at any instant, {@link Instant#MAX} included: the delay of its
   * close overflowed a long of milliseconds, and the socket's setup failed after it had joined. A
   * close that far away is not scheduled at all (the socket ends by other means long before), one
   * within the year still is.
   */
  @Test
  void liveSocket_withATokenExpiringInTheFarFuture_staysOpenAndFollows() throws Exception {
    try (ChordServer timed = ServerFixture.start(b -> b.authSecret(SECRET))) {
      String url = timed.url();
      Http writer =
          new Http(url)
              .withToken(
                  Tokens.mint(
                      SECRET, "*", EnumSet.of(Right.WRITE), Instant.now().plusSeconds(3600)));
      assertThat(writer.put("/contexts/room:far", Map.of("n", 0)).status()).isEqualTo(201);
      String never = Tokens.mint(SECRET, "room:far", EnumSet.of(Right.READ), Instant.MAX);
      String year9999 =
          Tokens.mint(
              SECRET, "room:far", EnumSet.of(Right.READ), Instant.parse("9999-12-31T23:59:59Z"));
      String anHour =
          Tokens.mint(SECRET, "room:far", EnumSet.of(Right.READ), Instant.now().plusSeconds(3600));
      try (Live farthest = Live.connect(url, "/contexts/room:far/live", true, never);
          Live far = Live.connect(url, "/contexts/room:far/live?token=" + year9999);
          Live near = Live.connect(url, "/contexts/room:far/live?token=" + anHour)) {
        for (Live live : new Live[] {farthest, far, near}) {
          assertThat(live.next()).containsEntry("type", "full");
        }
        assertThat(writer.patch("/contexts/room:far", Map.of("n", 1)).status()).isEqualTo(200);
        for (Live live : new Live[] {farthest, far, near}) {
          assertThat(live.next()).containsEntry("type", "patch").containsEntry("version", 2);
          assertThat(live.closed).isNotDone();
        }
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(timed.scheduledExpiries()).isEqualTo(1));
      }
    }
  }

  @Test
  void health_isOpen_andSaysAuthIsOn() {
    assertThat(anonymous.get("/health").json())
        .containsEntry("status", "ok")
        .containsEntry("auth", "token");
  }
}
