package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformed request gets the right status and a JSON error, and stores nothing. */
class MalformedRequestIT {
  static ChordServer server;
  static Http http;

  @BeforeAll
  static void start() {
    server = ServerFixture.start();
    http = new Http(server.url());
    assertThat(http.put("/contexts/room:m", Map.of("a", 1)).status()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static Stream<Arguments> cases() {
    String deep = "{\"a\":".repeat(40) + "1" + "}".repeat(40);
    String justDeepEnough = "{\"a\":".repeat(32) + "1" + "}".repeat(32);
    byte[] tooBig = ("{\"a\":\"" + "x".repeat(1024 * 1024) + "\"}").getBytes(UTF_8);
    String json = "application/json";
    return Stream.of(
        row("truncated JSON", "PATCH", "/contexts/room:m", "{\"a\":", json, 400, "invalid_json"),
        row("array at the root", "PUT", "/contexts/room:m", "[1,2]", json, 400, "invalid_json"),
        row("string at the root", "PUT", "/contexts/room:m", "\"a\"", json, 400, "invalid_json"),
        row("null at the root", "PUT", "/contexts/room:m", "null", json, 400, "invalid_json"),
        row("empty body", "PUT", "/contexts/room:m", "", json, 400, "invalid_json"),
        row(
            "trailing garbage",
            "PUT",
            "/contexts/room:m",
            "{\"a\":2} x",
            json,
            400,
            "invalid_json"),
        row(
            "duplicate keys",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":2,\"a\":3}",
            json,
            400,
            "invalid_json"),
        row("NaN", "PATCH", "/contexts/room:m", "{\"a\":NaN}", json, 400, "invalid_json"),
        row("comments", "PATCH", "/contexts/room:m", "{/*x*/\"a\":2}", json, 400, "invalid_json"),
        row("single quotes", "PATCH", "/contexts/room:m", "{'a':2}", json, 400, "invalid_json"),
        row(
            "number overflowing double",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":1e400}",
            json,
            400,
            "invalid_data"),
        row(
            "a 1,001-digit integer",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":" + "7".repeat(1001) + "}",
            json,
            400,
            "too_large"),
        row(
            "a 60,000-character key",
            "PATCH",
            "/contexts/room:m",
            "{\"" + "k".repeat(60_000) + "\":1}",
            json,
            400,
            "too_large"),
        row("nesting over the limit", "PUT", "/contexts/room:m", deep, json, 400, "too_deep"),
        row(
            "nesting over the limit, new id",
            "PUT",
            "/contexts/room:deep",
            deep,
            json,
            400,
            "too_deep"),
        row("body over 1 MiB", "PUT", "/contexts/room:m", tooBig, json, 413, "payload_too_large"),
        row(
            "body over 1 MiB, new id",
            "PUT",
            "/contexts/room:big",
            tooBig,
            json,
            413,
            "payload_too_large"),
        row(
            "not JSON content type",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":2}",
            "text/plain",
            415,
            "unsupported_media_type"),
        row(
            "form content type",
            "PUT",
            "/contexts/room:m",
            "a=2",
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type"),
        row(
            "no content type",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":2}",
            null,
            415,
            "unsupported_media_type"),
        row(
            "application/jsonx",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":2}",
            "application/jsonx",
            415,
            "unsupported_media_type"),
        row(
            "text/json",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":2}",
            "text/json",
            415,
            "unsupported_media_type"),
        row(
            "application/x-json",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":2}",
            "application/x-json",
            415,
            "unsupported_media_type"),
        row(
            "JSON in Latin-1",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":2}",
            "application/json; charset=ISO-8859-1",
            415,
            "unsupported_media_type"),
        row(
            "a +json type is JSON",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":1}",
            "application/merge-patch+json",
            200,
            null),
        row(
            "JSON with a quoted UTF-8 charset",
            "PATCH",
            "/contexts/room:m",
            "{\"a\":1}",
            "Application/JSON; charset=\"utf-8\"",
            200,
            null),
        row(
            "invalid UTF-8",
            "PATCH",
            "/contexts/room:m",
            new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'},
            json,
            400,
            "invalid_json"),
        row("id with a space", "PUT", "/contexts/room%20m", "{\"a\":2}", json, 400, "bad_request"),
        row("id with a slash", "PUT", "/contexts/room%2Fm", "{\"a\":2}", json, 400, "bad_request"),
        row("id with unicode", "PUT", "/contexts/r%C3%A4um", "{\"a\":2}", json, 400, "bad_request"),
        row(
            "id over 128 chars",
            "PUT",
            "/contexts/" + "r".repeat(129),
            "{\"a\":2}",
            json,
            400,
            "bad_request"),
        row(
            "unknown format",
            "PATCH",
            "/contexts/room:m?format=xml",
            "{\"a\":2}",
            json,
            400,
            "bad_request"),
        row(
            "sync at a negative version",
            "GET",
            "/contexts/room:m/sync?version=-1",
            null,
            null,
            400,
            "bad_request"),
        row(
            "sync at a non-number",
            "GET",
            "/contexts/room:m/sync?version=abc",
            null,
            null,
            400,
            "bad_request"),
        row(
            "sync in an unknown format",
            "GET",
            "/contexts/room:m/sync?format=yaml",
            null,
            null,
            400,
            "bad_request"),
        row(
            "sync with an epoch but no version",
            "GET",
            "/contexts/room:m/sync?epoch=AAAAAAAAAAAA",
            null,
            null,
            400,
            "bad_request"),
        row(
            "sync with an empty epoch",
            "GET",
            "/contexts/room:m/sync?version=1&epoch=",
            null,
            null,
            400,
            "bad_request"),
        row(
            "sync with a malformed epoch",
            "GET",
            "/contexts/room:m/sync?version=1&epoch=no.dots.here",
            null,
            null,
            400,
            "bad_request"),
        ifMatch("a bare version", "7"),
        ifMatch("a quoted bare version", "\"7\""),
        ifMatch("the old create-only 0", "0"),
        ifMatch("a weak tag", "W/\"AAAAAAAAAAAA.1\""),
        ifMatch("an unquoted tag", "AAAAAAAAAAAA.1"),
        ifMatch("a tag without a version", "\"AAAAAAAAAAAA\""),
        ifMatch("a tag at version 0", "\"AAAAAAAAAAAA.0\""),
        ifMatch("a tag with a short epoch", "\"short.1\""),
        ifMatch("a tag followed by junk", "\"AAAAAAAAAAAA.1\" junk"),
        ifMatch("an unterminated tag", "\"AAAAAAAAAAAA.1"),
        ifMatch("an empty list", " , "),
        row(
            "If-None-Match with a tag on a write",
            "PUT",
            "/contexts/room:m",
            "{\"a\":2}",
            json,
            400,
            "bad_request",
            "If-None-Match",
            "\"AAAAAAAAAAAA.1\""),
        row(
            "If-Match and If-None-Match at once",
            "PUT",
            "/contexts/room:m",
            "{\"a\":2}",
            json,
            400,
            "bad_request",
            "If-Match",
            "*",
            "If-None-Match",
            "*"),
        row("unknown route", "GET", "/contexts/room:m/nothing", null, null, 404, "not_found"),
        row(
            "unsupported method",
            "POST",
            "/contexts/room:m",
            "{\"a\":2}",
            json,
            405,
            "method_not_allowed"),
        // justDeepEnough is accepted: the limit is a limit, not an off-by-one
        row(
            "depth exactly at the limit is accepted, on another id",
            "PUT",
            "/contexts/room:ok",
            justDeepEnough,
            json,
            201,
            null));
  }

  /** A row: {@code headers} are extra request headers as name/value pairs. */
  static Arguments row(
      String name,
      String method,
      String path,
      Object body,
      String type,
      int status,
      String error,
      String... headers) {
    byte[] bytes =
        body == null ? null : body instanceof byte[] b ? b : ((String) body).getBytes(UTF_8);
    List<String> all = new ArrayList<>(List.of(headers));
    if (type != null) {
      all.addAll(List.of("Content-Type", type));
    }
    return Arguments.of(name, method, path, bytes, all.toArray(String[]::new), status, error);
  }

  /** A PATCH whose If-Match is not a list of this server's strong ETags: 400 naming the form. */
  static Arguments ifMatch(String what, String value) {
    return row(
        "If-Match with " + what,
        "PATCH",
        "/contexts/room:m",
        "{\"a\":2}",
        "application/json",
        400,
        "bad_request",
        "If-Match",
        value);
  }

  @ParameterizedTest(name = "{0} → {5}")
  @MethodSource("cases")
  void malformedRequest_getsItsStatus_andStoresNothing(
      String name,
      String method,
      String path,
      byte[] body,
      String[] headers,
      int status,
      String error) {
    // A body refused as too large ends its connection (Connection: close), possibly while the
    // client is still sending it; the JDK client may then pool that connection, and the next
    // request finds it closed. Such a request gets a client, and a connection, of its own.
    Http client = status == 413 ? new Http(http.base()) : http;
    Http.Reply reply = client.raw(method, path, body, headers);

    assertThat(reply.status()).as(name).isEqualTo(status);
    if (error != null) {
      assertThat(reply.json()).as(name).containsEntry("error", error).containsKey("message");
      assertThat(reply.header("Content-Type")).contains("application/json");
      assertThat((String) reply.json().get("message"))
          .as("no Java class or exception text")
          .doesNotContainPattern("java\\.|Exception|\\b[a-z]+\\.[a-z]+\\.[A-Z]");
    }
    if (error != null && error.equals("too_large")) {
      assertThat((String) reply.json().get("message"))
          .as("says what was too long")
          .containsAnyOf("number", "key");
    }
    if (name.startsWith("If-Match with")) {
      assertThat((String) reply.json().get("message"))
          .as("names the ETag form")
          .contains("\"<epoch>.<version>\"");
    }
    Http.Reply after = http.get("/contexts/room:m");
    assertThat(after.json()).containsEntry("version", 1).containsEntry("data", Map.of("a", 1));
    assertThat(http.get("/contexts/room:deep").status()).isEqualTo(404);
    assertThat(http.get("/contexts/room:big").status()).isEqualTo(404);
  }

  @ParameterizedTest(name = "chunked body of {0} bytes")
  @org.junit.jupiter.params.provider.ValueSource(ints = {1024 * 1024 + 1, 3 * 1024 * 1024})
  void chunkedBodyOverTheLimit_is413(int size) throws Exception {
    byte[] body = new byte[size];
    java.util.Arrays.fill(body, (byte) ' ');
    body[0] = '{';
    body[size - 1] = '}';
    var request =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + "/contexts/room:m"))
            .header("Content-Type", "application/json")
            .method(
                "PUT",
                java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(body)))
            .build();
    var response =
        java.net.http.HttpClient.newHttpClient()
            .send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(http.get("/contexts/room:m").json()).containsEntry("version", 1);
  }
}
