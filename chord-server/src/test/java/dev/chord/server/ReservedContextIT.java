package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.Context;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The server's own contexts ({@code chord:…}, the presence registry) cannot be named by any
 * request: every HTTP route and the live upgrade answer 403 {@code reserved_context}, and the
 * registry a live connection's presence put there is unchanged afterwards.
 */
class ReservedContextIT {
  @Test
  void everyRouteRefusesTheServersOwnContexts_andTheRegistryStaysAsItWas() {
    try (ChordServer server = ServerFixture.start()) {
      Http http = new Http(server.url());
      http.put("/contexts/room:r", Map.of("a", 1));
      try (Live ann = Live.connect(server.url(), "/contexts/room:r/live")) {
        ann.next();
        ann.sendText("{\"type\":\"presence\",\"set\":{\"name\":\"ann\"}}");
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> server.chord().getContext(Presence.REGISTRY).isPresent());
        Optional<Context> registry = server.chord().getContext(Presence.REGISTRY);

        String path = "/contexts/" + Presence.REGISTRY;
        for (Http.Reply reply :
            new Http.Reply[] {
              http.get(path),
              http.get(path + "/sync"),
              http.put(path, Map.of("nodes", Map.of())),
              http.patch(path, Map.of("nodes", Map.of("x", Map.of("leaseUntil", 0)))),
              http.delete(path),
              http.post(path + "/export"),
              http.post(path + "/restore"),
              http.get("/contexts/chord:anything")
            }) {
          assertThat(reply.status()).as(reply.body()).isEqualTo(403);
          assertThat(reply.json()).containsEntry("error", "reserved_context");
        }
        assertThat(Live.refusedStatus(server.url(), path + "/live", null)).isEqualTo(403);
        assertThat(server.chord().getContext(Presence.REGISTRY)).isEqualTo(registry);
      }
    }
  }
}
