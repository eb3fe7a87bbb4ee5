package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which sockets get the kernel send buffer cap: live ones only. */
class SendBufferCapIT {
  private static final int CAP = 48 * 1024; // neither tcp_wmem's default nor a size it grows to

  @Test
  void aGetThatLooksLikeAnUpgradeButIsNone_keepsItsConnection_uncapped() throws Exception {
    try (ChordServer server = ServerFixture.start(b -> b.wsSendBuffer(CAP))) {
      new Http(server.url()).put("/contexts/room:cap", Map.of("a", 1));
      URI live = URI.create(server.url().replace("http://", "ws://") + "/contexts/room:cap/live");
      try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), server.port());
          RawWebSocket upgraded = RawWebSocket.connect(live, RawWebSocket.Options.defaults())) {
        plain.setSoTimeout(10_000);
        // Javalin takes it for an upgrade (Sec-WebSocket-Version); Jetty does not (no Upgrade).
        String request =
            "GET /contexts/room:cap/live HTTP/1.1\r\nHost: 127.0.0.1:"
                + server.port()
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        plain.getOutputStream().write(request.getBytes(UTF_8));
        RawHttp.Answer answer = RawHttp.read(plain.getInputStream());
        assertThat(answer.status()).isNotEqualTo(101);
        assertThat(answer.headers().get("connection")).as("kept alive").isNotEqualTo("close");
        assertThat(upgraded.readText(Duration.ofSeconds(20))).contains("\"type\":\"full\"");

        Map<Integer, Long> sendBuffers = KernelSendBuffers.byPeerPort(server.port());

        assertThat(sendBuffers.get(upgraded.localPort()))
            .as("the live socket's send buffer; all: %s", sendBuffers)
            .isEqualTo((long) CAP);
        assertThat(sendBuffers.get(plain.getLocalPort()))
            .as("the plain HTTP connection's send buffer; all: %s", sendBuffers)
            .isNotNull()
            .isNotEqualTo((long) CAP);
      }
    }
  }
}
