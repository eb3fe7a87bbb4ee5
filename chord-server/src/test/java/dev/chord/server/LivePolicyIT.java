package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The policies that bound what one live socket costs: the kernel send buffer cap, the stall
 * timeout, the idle timeout, compression, and the close reasons counted in {@code
 * chord.live.closed}. Clients are raw sockets, so a test decides when (and whether) a client reads.
 */
class LivePolicyIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void sendBufferCap_isAppliedToEveryLiveSocket() throws Exception {
    int cap = 64 * 1024;
    try (ChordServer server = ServerFixture.start(b -> b.wsSendBuffer(cap))) {
      new Http(server.url()).put("/contexts/room:buf", Map.of("a", 1));
      List<RawWebSocket> clients = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          RawWebSocket client = RawWebSocket.connect(live(server, "room:buf"), plain());
          assertThat(client.readText(WAIT)).contains("\"type\":\"full\"");
          clients.add(client);
        }
        Map<Integer, Long> sendBuffers = KernelSendBuffers.byPeerPort(server.port());
        for (RawWebSocket client : clients) {
          // The server asks for half (Linux reserves twice what SO_SNDBUF asks, socket(7)); an
          // auto-tuned socket starts at tcp_wmem's default and grows, not landing on this.
          assertThat(sendBuffers.get(client.localPort()))
              .as(
                  "the kernel send buffer of the server's socket to client port %d; all: %s",
                  client.localPort(), sendBuffers)
              .isEqualTo((long) cap);
        }
      } finally {
        clients.forEach(RawWebSocket::close);
      }
    }
  }

  @Test
  void stalledClient_getsTheStallCloseFrame_whenItReadsAgainWithinTheGrace_whileAReaderKeepsUp()
      throws Exception {
    try (ChordServer server =
        ServerFixture.start(
            b -> b.wsSendBuffer(16 * 1024).wsStallTimeout(Duration.ofMillis(800)))) {
      Http http = new Http(server.url());
      http.put("/contexts/room:stall", Map.of("n", 0));
      RawWebSocket.Options small = plain().receiveBufferBytes(4096);
      try (RawWebSocket stalled = RawWebSocket.connect(live(server, "room:stall"), small);
          RawWebSocket reader = RawWebSocket.connect(live(server, "room:stall"), plain())) {
        assertThat(stalled.readText(WAIT)).contains("\"type\":\"full\"");
        assertThat(reader.readText(WAIT)).contains("\"type\":\"full\"");
        // The reader reads all along; the stalled client reads again only once it is closed.
        AtomicReference<String> readerSaw = new AtomicReference<>("");
        Thread reading =
            new Thread(
                () -> {
                  try {
                    while (true) {
                      readerSaw.set(reader.readText(WAIT));
                    }
                  } catch (IOException closedAtTheEnd) {
                    // the test is over
                  }
                });
        reading.setDaemon(true);
        reading.start();
        String padding = "x".repeat(8 * 1024);
        int writes = 120; // ~1 MiB: far more than both kernels' buffers hold for a non-reader
        for (int i = 1; i <= writes; i++) {
          assertThat(
                  http.patch("/contexts/room:stall", Map.of("n", i, "pad", padding + i)).status())
              .isEqualTo(200);
        }
        long last = server.chord().getContext("room:stall").orElseThrow().version();
        // The server decides; the client reads again only then, well within the close grace.
        await().atMost(WAIT).until(() -> server.liveStallsStarted() == 1);

        RawWebSocket.Close close = stalled.awaitClose(WAIT);

        // The close frame waited behind the message the client had not finished reading, and
        // follows it once the client reads again.
        assertThat(close).isEqualTo(new RawWebSocket.Close(4408, "stalled"));
        await().atMost(WAIT).until(() -> readerSaw.get().contains("\"version\":" + last + ","));
        await().atMost(WAIT).until(() -> closes(server, LiveClose.STALLED) == 1);
        assertThat(server.liveStallsStarted()).as("the reader was not closed").isEqualTo(1);
      }
    }
  }

  /**
   * A large message goes in parts, and each part written is progress: a client reading ~600 KB at
   * 200 KB/s through 16 KiB of server send buffer takes 3 s, far past the 800 ms stall timeout, and
   * is not closed (sent whole, the message would be closed as stalled at 800 ms).
   */
  @Test
  void slowButSteadyReader_ofAMessageLongerThanTheStallTimeout_isNotClosed() throws Exception {
    try (ChordServer server =
        ServerFixture.start(
            b -> b.wsSendBuffer(16 * 1024).wsStallTimeout(Duration.ofMillis(800)))) {
      Http http = new Http(server.url());
      String padding = "é".repeat(10_000); // two UTF-8 bytes per char, and no split pair
      http.put("/contexts/room:big", Map.of("part0", padding + 0));
      for (int i = 1; i < 30; i++) {
        assertThat(http.patch("/contexts/room:big", Map.of("part" + i, padding + i)).status())
            .isEqualTo(200);
      }
      RawWebSocket.Options slow = plain().receiveBufferBytes(4096).readBytesPerSecond(200_000);
      try (RawWebSocket reader = RawWebSocket.connect(live(server, "room:big"), slow)) {
        long started = System.nanoTime();
        String full = reader.readText(WAIT);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).isGreaterThan(Duration.ofSeconds(2));
        assertThat(full).contains("\"type\":\"full\"").contains(padding + 29);
        http.patch("/contexts/room:big", Map.of("after", true));
        assertThat(reader.readText(WAIT)).contains("\"key\":[\"after\"]");
        assertThat(server.liveStallsStarted()).isZero();
      }
    }
  }

  @Test
  void neverReadingClient_isResetAfterTheCloseGrace_andTheServerKeepsNoSocketForIt()
      throws Exception {
    try (ChordServer server =
        ServerFixture.start(
            b -> b.wsSendBuffer(16 * 1024).wsStallTimeout(Duration.ofMillis(800)))) {
      Http http = new Http(server.url());
      http.put("/contexts/room:reset", Map.of("n", 0));
      try (RawWebSocket stalled =
          RawWebSocket.connect(live(server, "room:reset"), plain().receiveBufferBytes(4096))) {
        assertThat(stalled.readText(WAIT)).contains("\"type\":\"full\"");
        String padding = "x".repeat(8 * 1024);
        for (int i = 1; i <= 60; i++) {
          http.patch("/contexts/room:reset", Map.of("n", i, "pad", padding + i));
        }
        await().atMost(WAIT).until(() -> server.liveStallsStarted() == 1);
        assertThat(serverSockets(server.port(), stalled.localPort()))
            .as("the server's socket to the stalled client, before the drop")
            .isNotEmpty();

        // The client never reads. A plain close leaves the server's socket in FIN-WAIT-1, its FIN
        // and the unread bytes queued behind the client's shut window, for as long as it stays
        // shut: the reset frees them.
        await()
            .atMost(LiveEndpoint.CLOSE_GRACE.plus(WAIT))
            .pollInterval(Duration.ofMillis(200))
            .untilAsserted(
                () ->
                    assertThat(serverSockets(server.port(), stalled.localPort()))
                        .as("the server's socket to the stalled client")
                        .isEmpty());

        RawWebSocket.Close close = stalled.awaitClose(WAIT);
        assertThat(close)
            .as("how the connection ended")
            .isEqualTo(new RawWebSocket.Close(1006, "Connection reset"));
        await().atMost(WAIT).until(() -> closes(server, LiveClose.STALLED) == 1);
      }
    }
  }

  /**
   * A client that resets right after the upgrade can make the first send fail while the connect
   * handler is still running, and Jetty then ends the socket before the connect has stored what it
   * opened: none of it may stay behind (the hub's connection, the context's subscription).
   */
  @Test
  void clientsThatResetRightAfterTheUpgrade_leaveNoConnectionBehind() throws Exception {
    try (ChordServer server = ServerFixture.start()) {
      Http http = new Http(server.url());
      http.put("/contexts/room:gone", Map.of("big", "y".repeat(500_000)));
      for (int i = 0; i < 40; i++) {
        RawWebSocket.connect(live(server, "room:gone"), plain().receiveBufferBytes(4096)).reset();
      }
      await()
          .atMost(WAIT)
          .until(
              () -> ((Number) http.get("/health").json().get("liveConnections")).intValue() == 0);
      // all 40 as dropped (a failed send is the client gone, not the server's error); the whole
      // count by reason is shown if not
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(closesByReason(server)).containsEntry("dropped", 40.0));
    }
  }

  private static Map<String, Double> closesByReason(ChordServer server) {
    Map<String, Double> counts = new java.util.TreeMap<>();
    for (LiveClose reason : LiveClose.values()) {
      counts.put(reason.tag(), closes(server, reason));
    }
    return counts;
  }

  @Test
  void clientThatCloses_isCountedAsClient_andAllReasonsAreExposedFromTheStart() throws Exception {
    try (ChordServer server = ServerFixture.start()) {
      new Http(server.url()).put("/contexts/room:bye", Map.of("a", 1));
      for (LiveClose reason : LiveClose.values()) {
        assertThat(closes(server, reason)).as(reason.tag()).isZero();
      }
      RawWebSocket client = RawWebSocket.connect(live(server, "room:bye"), plain());
      assertThat(client.readText(WAIT)).contains("\"type\":\"full\"");

      client.close();

      await().atMost(WAIT).until(() -> closes(server, LiveClose.CLIENT) == 1);
      assertThat(new Http(server.url()).get("/health").json()).containsEntry("liveConnections", 0);
    }
  }

  @Test
  void compressionOff_negotiatesNoExtension() throws Exception {
    try (ChordServer server = ServerFixture.start(b -> b.wsCompression(false))) {
      new Http(server.url()).put("/contexts/room:z", Map.of("a", 1));
      try (RawWebSocket client =
          RawWebSocket.connect(live(server, "room:z"), plain().offerDeflate(PLAIN_OFFER))) {
        assertThat(client.acceptedExtensions()).isEmpty();
        assertThat(client.readText(WAIT)).contains("\"type\":\"full\"");
      }
    }
  }

  @Test
  void compressionOn_answersWithoutServerContextTakeover_whateverTheClientOffered()
      throws Exception {
    try (ChordServer server = ServerFixture.start(b -> b.wsCompression(true))) {
      Http http = new Http(server.url());
      http.put("/contexts/room:z", Map.of("text", "abc ".repeat(500)));
      try (RawWebSocket client =
          RawWebSocket.connect(live(server, "room:z"), plain().offerDeflate(PLAIN_OFFER))) {
        assertThat(client.acceptedExtensions())
            .startsWith("permessage-deflate")
            .contains("server_no_context_takeover");
        assertThat(client.readText(WAIT)).contains("\"type\":\"full\"").contains("abc abc");
        for (int i = 0; i < 3; i++) {
          http.patch("/contexts/room:z", Map.of("text", "xyz ".repeat(500) + i));
          // Each message inflates on its own: a context kept across messages would garble these.
          assertThat(client.readText(WAIT)).contains("\"type\":\"patch\"").contains("xyz xyz");
        }
      }
    }
  }

  private static final RawWebSocket.DeflateOffer PLAIN_OFFER = RawWebSocket.DeflateOffer.PLAIN;

  private static RawWebSocket.Options plain() {
    return RawWebSocket.Options.defaults();
  }

  private static URI live(ChordServer server, String id) {
    return URI.create(server.url().replace("http://", "ws://") + "/contexts/" + id + "/live");
  }

  private static double closes(ChordServer server, LiveClose reason) {
    MeterRegistry registry = server.meterRegistry().orElseThrow();
    return registry.get("chord.live.closed").tag("reason", reason.tag()).counter().count();
  }

  /**
   * The server's sockets on {@code port} to the client's {@code peerPort}, in any state, as {@code
   * ss} lists them (one line each).
   */
  private static List<String> serverSockets(int port, int peerPort)
      throws IOException, InterruptedException {
    Process ss =
        new ProcessBuilder(
                "ss",
                "-tnH",
                "state",
                "all",
                "( sport = :" + port + " and dport = :" + peerPort + " )")
            .redirectErrorStream(true)
            .start();
    String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(ss.waitFor()).as("ss: %s", out).isZero();
    return out.lines().filter(line -> !line.isBlank()).toList();
  }
}
