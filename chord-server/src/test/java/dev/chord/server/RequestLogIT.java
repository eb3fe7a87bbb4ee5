package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * One WARN line per failed request (route, context id, status, cause), none for a successful one;
 * the access log adds one INFO line per request. Reads what slf4j-simple writes to stderr.
 */
class RequestLogIT {
  private static List<String> logged(ChordServer.Builder settings, Consumer<Http> requests) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (ChordServer server = settings.host("127.0.0.1").port(0).start()) {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      requests.accept(new Http(server.url()));
    } finally {
      System.setErr(original);
    }
    return captured
        .toString(StandardCharsets.UTF_8)
        .lines()
        .filter(l -> l.contains("dev.chord.server.RequestLog") || l.contains("server.access"))
        .toList();
  }

  @Test
  void failedRequests_oneWarnLineEach_successfulNone() {
    List<String> lines =
        logged(
            ChordServer.builder(),
            http -> {
              http.put("/contexts/room:1", Map.of("a", 1));
              http.get("/contexts/room:1");
              http.get("/contexts/ghost");
              http.patch("/contexts/room:1", Map.of("a", 2), "If-Match", "\"AAAAAAAAAAAAAAAA.9\"");
            });
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0))
        .contains("WARN", "GET /contexts/{id}", "context=ghost", "status=404", "not_found");
    assertThat(lines.get(1))
        .contains("WARN", "PATCH /contexts/{id}", "context=room:1", "status=412")
        .contains("version_conflict");
  }

  @Test
  void accessLog_oneInfoLinePerRequest() {
    List<String> lines =
        logged(
            ChordServer.builder().accessLog(true),
            http -> {
              http.put("/contexts/room:2", Map.of("a", 1));
              http.get("/contexts/room:2/sync");
            });
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).contains("INFO", "PUT /contexts/room:2", "status=201");
    assertThat(lines.get(1)).contains("INFO", "GET /contexts/room:2/sync", "status=200");
  }
}
