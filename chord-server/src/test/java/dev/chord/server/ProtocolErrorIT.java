package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests that Jetty refuses before the API sees them (a bad URI, a request line or headers too
 * long, garbage), over raw sockets: each still gets a JSON error with a stable code.
 */
class ProtocolErrorIT {
  static ChordServer server;

  @BeforeAll
  static void start() {
    server = ServerFixture.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("a lone %", request("GET /contexts/% HTTP/1.1"), 400, "bad_request"),
        Arguments.of("a bad %-escape", request("GET /contexts/a%zzb HTTP/1.1"), 400, "bad_request"),
        Arguments.of(
            "an id of 100,000 characters",
            request("GET /contexts/" + "r".repeat(100_000) + " HTTP/1.1"),
            414,
            "uri_too_long"),
        Arguments.of(
            "an 8 KiB header",
            request("GET /health HTTP/1.1", "X-Filler: " + "f".repeat(8 * 1024)),
            431,
            "headers_too_large"),
        Arguments.of("a garbage request line", "GARBAGE\r\n\r\n", 400, "bad_request"),
        Arguments.of(
            "an unknown HTTP version",
            request("GET /health HTTP/9.9"),
            505,
            "http_version_not_supported"));
  }

  private static String request(String requestLine, String... headers) {
    StringBuilder b = new StringBuilder(requestLine).append("\r\n");
    b.append("Host: 127.0.0.1:").append(server.port()).append("\r\n");
    for (String header : headers) {
      b.append(header).append("\r\n");
    }
    return b.append("Connection: close\r\n\r\n").toString();
  }

  @ParameterizedTest(name = "{0} → {2}")
  @MethodSource("cases")
  void refusedByJetty_answersJson(String name, String request, int status, String error) {
    RawHttp.Answer answer = RawHttp.exchange(server.port(), request, 10_000);

    assertThat(answer.status()).as(name).isEqualTo(status);
    assertThat(answer.headers().get("content-type")).as(name).contains("application/json");
    assertThat(answer.json()).as(name).containsEntry("error", error);
    assertThat((String) answer.json().get("message"))
        .as(name)
        .isNotBlank()
        .doesNotContainPattern("java\\.|Exception|<");
  }
}
