package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * DNS rebinding, over raw sockets (the JDK's HttpClient refuses to set {@code Host}): a page from
 * {@code http://attacker.example:PORT} whose name was re-bound to 127.0.0.1 sends the attacker's
 * name as {@code Host}, and as {@code Origin} too where it sends one, so Origin equals Host. With
 * auth off, only the {@code Host} check stands between that page and every context.
 */
class HostIT {
  static ChordServer server;
  static Http http;

  @BeforeAll
  static void start() {
    server = ServerFixture.start();
    http = new Http(server.url());
    assertThat(http.put("/contexts/room:h", Map.of("secret", 1)).status()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /**
   * Sends {@code method path} with exactly these headers (and {@code Connection: close} unless an
   * upgrade), reads the answer: its head for a 101, else up to its {@code Content-Length} or the
   * end of the stream.
   */
  static RawHttp.Answer send(
      ChordServer to, String method, String path, String body, String... headers) {
    StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
    for (int i = 0; i < headers.length; i += 2) {
      request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    byte[] bytes = body == null ? new byte[0] : body.getBytes(UTF_8);
    if (body != null) {
      request.append("Content-Type: application/json\r\n");
      request.append("Content-Length: ").append(bytes.length).append("\r\n");
    }
    if (List.of(headers).stream().noneMatch(h -> h.equalsIgnoreCase("Upgrade"))) {
      request.append("Connection: close\r\n");
    }
    request.append("\r\n");
    byte[] head = request.toString().getBytes(UTF_8);
    byte[] whole = java.util.Arrays.copyOf(head, head.length + bytes.length);
    System.arraycopy(bytes, 0, whole, head.length, bytes.length);
    return RawHttp.exchange(to.port(), whole, 10_000);
  }

  static String[] upgradeHeaders(String host, String origin) {
    return new String[] {
      "Host", host,
      "Origin", origin,
      "Upgrade", "websocket",
      "Connection", "Upgrade",
      "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version", "13"
    };
  }

  static RawHttp.Answer upgrade(ChordServer to, String host, String origin) {
    return send(to, "GET", "/contexts/room:h/live", null, upgradeHeaders(host, origin));
  }

  static void assertMisdirected(RawHttp.Answer answer) {
    assertThat(answer.status()).isEqualTo(421);
    assertThat(answer.json()).containsEntry("error", "misdirected_host").containsKey("message");
    assertThat(answer.headers().get("content-type")).contains("application/json");
  }

  @Test
  void aRebindingPage_getsA421_forUpgradesWritesAndReads_andNothingIsDone() {
    String attacker = "attacker.example:" + server.port();
    String origin = "http://" + attacker;

    assertMisdirected(upgrade(server, attacker, origin));
    assertMisdirected(
        send(
            server,
            "PUT",
            "/contexts/room:h",
            "{\"secret\": 2}",
            "Host",
            attacker,
            "Origin",
            origin));
    assertMisdirected(send(server, "DELETE", "/contexts/room:h", null, "Host", attacker));
    // A same-origin fetch carries no Origin at all.
    assertMisdirected(send(server, "GET", "/contexts/room:h", null, "Host", attacker));
    assertMisdirected(send(server, "GET", "/contexts/room:h/sync", null, "Host", attacker));
    assertMisdirected(send(server, "OPTIONS", "/contexts/room:h", null, "Host", attacker));

    assertThat(http.get("/contexts/room:h").json())
        .containsEntry("version", 1)
        .containsEntry("data", Map.of("secret", 1));
  }

  @Test
  void loopbackNames_pass_andMakeTheirPagesSameOrigin() {
    for (String name : List.of("localhost", "127.0.0.1", "[::1]")) {
      String host = name + ":" + server.port();
      assertThat(send(server, "GET", "/contexts/room:h", null, "Host", host).status())
          .as(host)
          .isEqualTo(200);
      assertThat(upgrade(server, host, "http://" + host).status()).as(host).isEqualTo(101);
    }
    RawHttp.Answer foreign = upgrade(server, "localhost:" + server.port(), "http://evil.example");
    assertThat(foreign.status()).as("the Origin is still checked").isEqualTo(403);
    assertThat(foreign.json()).containsEntry("error", "forbidden_origin");
  }

  @Test
  void aConfiguredHost_passes_fromTheCommandLineToo_andTheAttackerStillDoesNot() {
    Main main = new Main();
    new CommandLine(main)
        .parseArgs("--port", "0", "--host", "127.0.0.1", "--allowed-hosts", "chord.example.com");
    try (ChordServer named = main.builder().start()) {
      new Http(named.url()).put("/contexts/room:h", Map.of("a", 1));
      String host = "chord.example.com:" + named.port();
      assertThat(send(named, "GET", "/contexts/room:h", null, "Host", host).status())
          .isEqualTo(200);
      assertThat(send(named, "PATCH", "/contexts/room:h", "{\"a\": 2}", "Host", host).status())
          .isEqualTo(200);
      assertThat(upgrade(named, host, "http://" + host).status())
          .as("same origin, on a name the server answers to")
          .isEqualTo(101);
      String attacker = "attacker.example:" + named.port();
      assertMisdirected(upgrade(named, attacker, "http://" + attacker));
    }
  }

  @Test
  void theHostOfAnAllowedOrigin_passes() {
    try (ChordServer withOrigin =
        ServerFixture.start(b -> b.allowedOrigins(List.of("https://app.example.com")))) {
      RawHttp.Answer answer =
          send(
              withOrigin,
              "GET",
              "/contexts/room:none",
              null,
              "Host",
              "app.example.com:" + withOrigin.port(),
              "Origin",
              "https://app.example.com");
      assertThat(answer.status()).isEqualTo(404);
      assertThat(answer.headers())
          .containsEntry("access-control-allow-origin", "https://app.example.com");
    }
  }
}
