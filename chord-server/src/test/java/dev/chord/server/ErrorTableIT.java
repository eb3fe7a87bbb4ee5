package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Context;
import dev.chord.memory.InMemoryBackend;
import dev.chord.redis.RedisBackend;
import dev.chord.spi.Backend;
import dev.chord.spi.ForwardingBackend;
import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Walks the README's error table: every row's status and code is produced by a real request, with a
 * JSON body, and every code a probe here produces has its row. A code added to the server without a
 * row, or a row the server no longer answers, fails it.
 */
class ErrorTableIT {
  static final String SECRET = "error-table-secret-0123456789";

  @TempDir static Path store;
  static ChordServer open;
  static ChordServer withAuth;
  static Http http;

  /** What an answer says: its status, its {@code error} and its {@code message}. */
  record Seen(int status, Map<String, Object> json, String contentType) {
    static Seen of(Http.Reply reply) {
      return new Seen(reply.status(), reply.json(), reply.header("Content-Type"));
    }

    static Seen of(RawHttp.Answer answer) {
      return new Seen(answer.status(), answer.json(), answer.headers().get("content-type"));
    }
  }

  @BeforeAll
  static void start() throws IOException {
    open =
        ServerFixture.start(
            b ->
                b.backend(new FailingOnBugIds(InMemoryBackend.create()), "memory")
                    .storeDir(store)
                    .bodyTimeout(Duration.ofMillis(500))
                    .maxConnectionsPerIp(1));
    withAuth = ServerFixture.start(b -> b.authSecret(SECRET));
    http = new Http(open.url());
    assertThat(http.put("/contexts/room:t", Map.of("a", 1)).status()).isEqualTo(201);
    assertThat(http.put("/contexts/room:s", Map.of("a", 1)).status()).isEqualTo(201);
    Files.writeString(store.resolve("room%3As.json"), "{\"not\": \"an export\"}");
  }

  @AfterAll
  static void stop() {
    open.close();
    withAuth.close();
  }

  /** One request per code, answering with it. */
  static Map<String, Supplier<Seen>> probes() {
    Map<String, Supplier<Seen>> p = new LinkedHashMap<>();
    p.put("invalid_json", () -> Seen.of(patch("{\"a\":")));
    p.put("too_deep", () -> Seen.of(patch("{\"a\":".repeat(40) + "1" + "}".repeat(40))));
    p.put("too_large", () -> Seen.of(patch("{\"a\":" + "9".repeat(1001) + "}")));
    p.put("invalid_data", () -> Seen.of(patch("{\"a\":1e400}")));
    p.put("bad_request", () -> Seen.of(raw("GET /contexts/a%zzb HTTP/1.1", open.port())));
    p.put("unauthorized", () -> Seen.of(new Http(withAuth.url()).get("/contexts/room:t")));
    p.put(
        "forbidden",
        () ->
            Seen.of(
                new Http(withAuth.url())
                    .withToken(token("room:other", Right.READ))
                    .get("/contexts/room:t")));
    p.put("reserved_context", () -> Seen.of(http.raw("DELETE", "/contexts/chord:presence", null)));
    p.put(
        "forbidden_origin",
        () ->
            Seen.of(http.raw("DELETE", "/contexts/room:t", null, "Origin", "http://evil.example")));
    p.put("not_found", () -> Seen.of(http.get("/contexts/room:none")));
    p.put("method_not_allowed", () -> Seen.of(http.raw("POST", "/contexts/room:t", null)));
    p.put(
        "request_timeout",
        () ->
            Seen.of(
                RawHttp.exchange(
                    open.port(),
                    head("PUT /contexts/room:t", open.port())
                        + "Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{",
                    10_000)));
    p.put(
        "version_conflict",
        () ->
            Seen.of(
                http.raw(
                    "PATCH",
                    "/contexts/room:t",
                    "{\"a\":2}".getBytes(UTF_8),
                    "Content-Type",
                    "application/json",
                    "If-Match",
                    "\"AAAAAAAAAAAA.9\"")));
    p.put(
        "payload_too_large",
        () ->
            Seen.of(
                RawHttp.exchange(
                    open.port(),
                    head("PUT /contexts/room:t", open.port())
                        + "Content-Type: application/json\r\nContent-Length: 99999999\r\n\r\n",
                    10_000)));
    p.put(
        "uri_too_long",
        () -> Seen.of(raw("GET /contexts/" + "r".repeat(100_000) + " HTTP/1.1", open.port())));
    p.put(
        "unsupported_media_type",
        () ->
            Seen.of(
                http.raw(
                    "PATCH",
                    "/contexts/room:t",
                    "{}".getBytes(UTF_8),
                    "Content-Type",
                    "text/json")));
    p.put(
        "misdirected_host",
        () ->
            Seen.of(
                RawHttp.exchange(
                    open.port(),
                    "GET /contexts/room:t HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
                    10_000)));
    p.put("too_many_connections", ErrorTableIT::secondLiveConnection);
    p.put(
        "headers_too_large",
        () ->
            Seen.of(
                RawHttp.exchange(
                    open.port(),
                    head("GET /health", open.port()) + "X-Filler: " + "f".repeat(8192) + "\r\n\r\n",
                    10_000)));
    p.put("internal_error", () -> Seen.of(http.get("/contexts/bug:1")));
    p.put(
        "not_configured",
        () ->
            Seen.of(
                new Http(withAuth.url())
                    .withToken(token("*", Right.ADMIN))
                    .post("/contexts/room:t/export")));
    p.put("store_failed", () -> Seen.of(http.post("/contexts/room:s/restore")));
    p.put("backend_unavailable", ErrorTableIT::redisDown);
    p.put("unavailable", ErrorTableIT::uploadCutOffByAShutdown);
    p.put("http_version_not_supported", () -> Seen.of(raw("GET /health HTTP/9.9", open.port())));
    return p;
  }

  @Test
  void everyRowOfTheReadmesErrorTable_isWhatTheServerAnswers() throws IOException {
    record Row(int status, String code) {}
    List<Row> rows = new ArrayList<>();
    Matcher row =
        Pattern.compile("(?m)^\\| (\\d{3}) \\| `([a-z_]+)` \\|")
            .matcher(errorTable(Files.readString(Path.of("README.md"), UTF_8)));
    while (row.find()) {
      rows.add(new Row(Integer.parseInt(row.group(1)), row.group(2)));
    }
    Map<String, Supplier<Seen>> probes = probes();
    assertThat(rows.stream().map(Row::code))
        .as("codes in the README's table")
        .containsExactlyInAnyOrderElementsOf(probes.keySet());
    for (Row expected : rows) {
      String code = expected.code();
      Seen seen = probes.get(code).get();
      assertThat(seen.status()).as(code).isEqualTo(expected.status());
      assertThat(seen.contentType()).as(code).contains("application/json");
      assertThat(seen.json()).as(code).containsEntry("error", code);
      assertThat((String) seen.json().get("message"))
          .as(code)
          .isNotBlank()
          .doesNotContainPattern("java\\.|Exception|internal detail");
    }
  }

  /** The table after "**Errors** are always JSON", up to the first paragraph after it. */
  private static String errorTable(String readme) {
    int start = readme.indexOf("**Errors** are always JSON");
    assertThat(start).as("the README's errors section").isNotNegative();
    int table = readme.indexOf("\n| status |", start);
    int end = readme.indexOf("\n\n", table + 1);
    return readme.substring(table, end);
  }

  private static Http.Reply patch(String body) {
    return http.raw(
        "PATCH", "/contexts/room:t", body.getBytes(UTF_8), "Content-Type", "application/json");
  }

  private static String head(String requestLine, int port) {
    return requestLine + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n";
  }

  private static RawHttp.Answer raw(String requestLine, int port) {
    return RawHttp.exchange(
        port,
        requestLine + "\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n",
        10_000);
  }

  private static String token(String scope, Right right) {
    return Tokens.mint(SECRET, scope, EnumSet.of(right), Instant.now().plusSeconds(600));
  }

  private static Seen secondLiveConnection() {
    try (Live first = Live.connect(open.url(), "/contexts/room:t/live")) {
      first.next();
      StringBuilder upgrade = new StringBuilder("GET /contexts/room:t/live HTTP/1.1\r\n");
      String[] headers = HostIT.upgradeHeaders("127.0.0.1:" + open.port(), open.url());
      for (int i = 0; i < headers.length; i += 2) {
        upgrade.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
      }
      return Seen.of(RawHttp.exchange(open.port(), upgrade.append("\r\n").toString(), 10_000));
    }
  }

  /** An upload stalled while its server stops: Jetty's shutdown idle timeout (1 s) ends it. */
  private static Seen uploadCutOffByAShutdown() {
    ChordServer stopping =
        ServerFixture.start(
            b -> b.bodyTimeout(Duration.ofMinutes(1)).shutdownGrace(Duration.ofSeconds(5)));
    try (java.net.Socket socket =
        new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), stopping.port())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              (head("PUT /contexts/room:t", stopping.port())
                      + "Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{")
                  .getBytes(UTF_8));
      Thread.sleep(200); // the server has the request, in flight until its body is in
      stopping.close();
      return Seen.of(RawHttp.read(socket.getInputStream()));
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    } finally {
      stopping.close();
    }
  }

  private static Seen redisDown() {
    try {
      RedisServer redis = RedisServers.own();
      try (ChordServer node =
          ServerFixture.start(
              b ->
                  b.backend(
                      RedisBackend.builder(redis.uri()).timeout(Duration.ofMillis(500)).build(),
                      "redis"))) {
        redis.close();
        return Seen.of(new Http(node.url()).get("/contexts/room:t"));
      } finally {
        redis.close();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The in-memory backend, except that reading a context whose id starts with {@code bug:} throws
   * what a bug of the server would: an exception whose text must not reach the client.
   */
  private static final class FailingOnBugIds extends ForwardingBackend {
    FailingOnBugIds(Backend backend) {
      super(backend);
    }

    @Override
    public Optional<Context> get(String contextId) {
      if (contextId.startsWith("bug:")) {
        throw new IllegalArgumentException("internal detail of java.util.LinkedHashMap");
      }
      return super.get(contextId);
    }
  }
}
