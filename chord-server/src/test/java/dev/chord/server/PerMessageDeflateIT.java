package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.server.internal.PerMessageDeflate;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link PerMessageDeflate} over real sockets: both directions compress each message on its own, a
 * connection holds no deflater between messages (Jetty's own extension keeps one, about 256 KiB of
 * native memory, per connection for as long as it lives), and a compressed message that is
 * malformed, breaks the framing or inflates past the size limit closes the socket with the code RFC
 * 6455 gives it.
 */
class PerMessageDeflateIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final int CLIENTS = 20;

  @Test
  void connectionsSentMessages_holdNoDeflater_andEveryMessageInflates() throws Exception {
    try (ChordServer server = ServerFixture.start(b -> b.wsCompression(true))) {
      Http http = new Http(server.url());
      http.put("/contexts/room:d", Map.of("text", "start ".repeat(300)));
      List<RawWebSocket> clients = new ArrayList<>();
      try {
        for (int i = 0; i < CLIENTS; i++) {
          RawWebSocket client =
              RawWebSocket.connect(
                  live(server, "room:d"),
                  deflate(
                      i % 2 == 0
                          ? RawWebSocket.DeflateOffer.PLAIN
                          : RawWebSocket.DeflateOffer.NO_CONTEXT_TAKEOVER));
          // Exactly these parameters, each without a value (Chromium refuses "key=").
          assertThat(client.acceptedExtensions().split("\\s*;\\s*"))
              .containsExactlyInAnyOrder(PerMessageDeflate.ANSWER.split("; "));
          assertThat(client.readText(WAIT)).contains("\"type\":\"full\"").contains("start start");
          clients.add(client);
        }
        for (int round = 0; round < 5; round++) {
          // A pong between messages is a final frame too, sent while no deflater is held.
          for (RawWebSocket client : clients) {
            client.ping(("p" + round).getBytes(UTF_8));
          }
          String text = ("round " + round + " ").repeat(200);
          http.patch("/contexts/room:d", Map.of("text", text));
          for (RawWebSocket client : clients) {
            assertThat(client.readText(WAIT)).contains("\"type\":\"patch\"").contains(text);
          }
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(server.liveDeflatersInUse()).isZero());
      } finally {
        clients.forEach(RawWebSocket::close);
      }
    }
  }

  @Test
  void aLargeMessageSentInParts_isOneCompressedStream_andGivesItsDeflaterBack() throws Exception {
    try (ChordServer server = ServerFixture.start(b -> b.wsCompression(true))) {
      Http http = new Http(server.url());
      StringBuilder text = new StringBuilder();
      java.util.Random random = new java.util.Random(7);
      while (text.length() < 3 * LiveEndpoint.PART_CHARS) {
        text.append("word").append(random.nextInt(5000)).append(' ');
      }
      http.put("/contexts/room:l", Map.of("text", text.toString()));
      try (RawWebSocket client = RawWebSocket.connect(live(server, "room:l"), deflate())) {
        assertThat(client.readText(WAIT)).contains(text);
        assertThat(client.lastCompressed()).isTrue();
        assertThat(client.lastFrames()).isGreaterThanOrEqualTo(3);
        http.patch("/contexts/room:l", Map.of("small", "after the large one"));
        assertThat(client.readText(WAIT)).contains("after the large one");
        await().atMost(WAIT).untilAsserted(() -> assertThat(server.liveDeflatersInUse()).isZero());
      }
    }
  }

  @Test
  void compressedClientMessages_inflate_inOneFrameOrSeveral() throws Exception {
    try (ChordServer server = ServerFixture.start(b -> b.wsCompression(true))) {
      Http http = new Http(server.url());
      http.put("/contexts/room:p", Map.of("topic", "t"));
      try (RawWebSocket ann = RawWebSocket.connect(live(server, "room:p"), deflate())) {
        ann.readText(WAIT);
        ann.sendCompressed("{\"type\":\"presence\",\"set\":\"one frame\"}", 1);
        await().atMost(WAIT).until(() -> presence(http).contains("one frame"));
        ann.sendCompressed("{\"type\":\"presence\",\"set\":\"" + "three ".repeat(40) + "\"}", 3);
        await().atMost(WAIT).until(() -> presence(http).contains("three three"));
      }
    }
  }

  @Test
  void aCompressedMessageInflatingPastTheLimit_isClosedWith1009() throws Exception {
    // 4 MB of one letter compresses to about 4 KB; the limit is 4 KiB once inflated. Our bound's
    // reason: without it Jetty would inflate all 4 MB, then refuse it for size.
    RawWebSocket.Close close = closeAfter(bomb -> bomb.sendCompressed("x".repeat(4_000_000), 2));
    assertThat(close)
        .isEqualTo(new RawWebSocket.Close(1009, "the message inflates past the maximum size"));
  }

  @Test
  void malformedCompressedData_isClosedWith1007() throws Exception {
    RawWebSocket.Close close =
        closeAfter(
            client ->
                client.sendFrame(
                    0x80 | 0x40 | 0x1, new byte[] {(byte) 0xff, (byte) 0xff, 0x12, 0x34}));
    assertThat(close.code()).isEqualTo(1007);
  }

  @Test
  void rsv1OnAContinuationFrame_isClosedWith1002() throws Exception {
    RawWebSocket.Close close =
        closeAfter(
            client -> {
              client.sendFrame(0x1, "{\"type\":".getBytes(UTF_8));
              client.sendFrame(0x80 | 0x40, "\"presence\"}".getBytes(UTF_8));
            });
    assertThat(close.code()).isEqualTo(1002);
  }

  /** What a client sends over a compressed live socket. */
  private interface Breach {
    void sendOn(RawWebSocket client) throws IOException;
  }

  /**
   * The close a compressed live socket gets after {@code breach}, once the server has counted it as
   * a {@link LiveClose#POLICY} close.
   */
  private static RawWebSocket.Close closeAfter(Breach breach) throws Exception {
    try (ChordServer server = ServerFixture.start(b -> b.wsCompression(true))) {
      new Http(server.url()).put("/contexts/room:b", Map.of("a", 1));
      RawWebSocket.Close close;
      try (RawWebSocket client = RawWebSocket.connect(live(server, "room:b"), deflate())) {
        client.readText(WAIT);
        breach.sendOn(client);
        close = client.awaitClose(WAIT);
      }
      await().atMost(WAIT).until(() -> policyCloses(server) == 1);
      return close;
    }
  }

  private static double policyCloses(ChordServer server) {
    return server
        .meterRegistry()
        .orElseThrow()
        .get("chord.live.closed")
        .tag("reason", LiveClose.POLICY.tag())
        .counter()
        .count();
  }

  private static RawWebSocket.Options deflate() {
    return deflate(RawWebSocket.DeflateOffer.PLAIN);
  }

  private static RawWebSocket.Options deflate(RawWebSocket.DeflateOffer offer) {
    return RawWebSocket.Options.defaults().offerDeflate(offer);
  }

  private static String presence(Http http) {
    return String.valueOf(http.get("/contexts/room:p").map("data").get("presence"));
  }

  private static URI live(ChordServer server, String id) {
    return URI.create(server.url().replace("http://", "ws://") + "/contexts/" + id + "/live");
  }
}
