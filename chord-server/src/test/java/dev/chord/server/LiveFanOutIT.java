package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A delta's message fanned out over real sockets, plain and compressed: each client gets every
 * patch as one text frame, in commit order and chained (each from the version the one before
 * ended), with multi-byte characters intact, and a patch sent to several clients one by one has the
 * same text for all of them; a patch too large to go whole goes in parts.
 */
class LiveFanOutIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CLIENTS = 6;
  private static final int PATCHES = 30;

  @Test
  void everyClientGetsTheSamePatches_inOrder_oneFrameEach() throws Exception {
    try (ChordServer server = ServerFixture.start(b -> b)) {
      assertPatchesInOrderAndAlike(server, RawWebSocket.Options.defaults(), false);
    }
  }

  @Test
  void compressedClientsGetTheSamePatches_inOrder_oneFrameEach() throws Exception {
    try (ChordServer server = ServerFixture.start(b -> b.wsCompression(true))) {
      RawWebSocket.Options deflate =
          RawWebSocket.Options.defaults().offerDeflate(RawWebSocket.DeflateOffer.PLAIN);
      assertPatchesInOrderAndAlike(server, deflate, true);
    }
  }

  @Test
  void aPatchLongerThanAPart_stillGoesInParts() throws Exception {
    try (ChordServer server = ServerFixture.start(b -> b)) {
      Http http = new Http(server.url());
      http.put("/contexts/room:large", Map.of("n", 0));
      try (RawWebSocket client =
          RawWebSocket.connect(live(server, "room:large"), RawWebSocket.Options.defaults())) {
        client.readText(WAIT);
        String large = "é✓".repeat(LiveEndpoint.PART_CHARS);
        http.patch("/contexts/room:large", Map.of("text", large));
        assertThat(JSON.readTree(client.readText(WAIT)).path("delta").toString()).contains(large);
        assertThat(client.lastFrames()).isGreaterThan(1);
      }
    }
  }

  private static void assertPatchesInOrderAndAlike(
      ChordServer server, RawWebSocket.Options options, boolean compressed) throws Exception {
    Http http = new Http(server.url());
    http.put("/contexts/room:shared", Map.of("n", 0));
    List<RawWebSocket> clients = new ArrayList<>();
    try {
      for (int i = 0; i < CLIENTS; i++) {
        RawWebSocket client = RawWebSocket.connect(live(server, "room:shared"), options);
        assertThat(JSON.readTree(client.readText(WAIT)).path("version").asLong()).isEqualTo(1);
        clients.add(client);
      }
      for (int n = 1; n <= PATCHES; n++) {
        // multi-byte UTF-8 (two, three and four bytes) and enough text to be worth compressing
        http.patch("/contexts/room:shared", Map.of("n", n, "text", ("né ✓ 😀 " + n).repeat(20)));
      }
      List<List<String>> received = new ArrayList<>();
      for (RawWebSocket client : clients) {
        List<String> texts = new ArrayList<>();
        long version = 1;
        while (version < PATCHES + 1) {
          String text = client.readText(WAIT);
          JsonNode patch = JSON.readTree(text);
          assertThat(patch.path("type").asText()).isEqualTo("patch");
          assertThat(patch.path("fromVersion").asLong()).isEqualTo(version);
          assertThat(client.lastFrames()).isEqualTo(1);
          assertThat(client.lastCompressed()).isEqualTo(compressed);
          version = patch.path("version").asLong();
          texts.add(text);
        }
        received.add(texts);
      }
      // Every patch a client got went to it alone only if merged (it fell behind): the ones each
      // client got one by one carry the same text for all of them.
      for (List<String> texts : received) {
        String last = texts.get(texts.size() - 1);
        assertThat(JSON.readTree(last).path("delta").toString())
            .contains(("né ✓ 😀 " + PATCHES).repeat(20));
        for (String text : texts) {
          long to = JSON.readTree(text).path("version").asLong();
          long from = JSON.readTree(text).path("fromVersion").asLong();
          if (to - from == 1) {
            assertThat(received.get(0).stream().filter(t -> sameSpan(t, from, to)))
                .allMatch(t -> t.equals(text));
          }
        }
      }
    } finally {
      clients.forEach(RawWebSocket::close);
    }
  }

  private static boolean sameSpan(String text, long from, long to) {
    try {
      JsonNode patch = JSON.readTree(text);
      return patch.path("fromVersion").asLong() == from && patch.path("version").asLong() == to;
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static URI live(ChordServer server, String id) {
    return URI.create(server.url().replace("http://", "ws://") + "/contexts/" + id + "/live");
  }
}
