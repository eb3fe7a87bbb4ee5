package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The idle timeout: the server's pings are traffic, so it ends only a socket that nothing could be
 * written to for that long.
 */
class IdleTimeoutIT {
  @Test
  void clientThatStopsReading_isClosedAsIdle_onceNothingCanBeWritten() throws Exception {
    Duration idle = ChordServer.Builder.MIN_WS_IDLE_TIMEOUT;
    try (ChordServer server =
        ServerFixture.start(
            b -> b.wsIdleTimeout(idle).wsStallTimeout(Duration.ofHours(1)).wsSendBuffer(4096))) {
      // far more than both kernels hold: the initial message stays unwritten
      new Http(server.url()).put("/contexts/room:idle", Map.of("pad", "x".repeat(500_000)));
      URI live = URI.create(server.url().replace("http://", "ws://") + "/contexts/room:idle/live");
      try (RawWebSocket client =
          RawWebSocket.connect(live, RawWebSocket.Options.defaults().receiveBufferBytes(4096))) {
        await().atMost(idle.multipliedBy(3)).until(() -> closes(server, LiveClose.IDLE) == 1);

        assertThat(server.liveStallsStarted()).isZero();
        assertThat(client.awaitClose(Duration.ofSeconds(20)).code()).isIn(1001, 1006);
      }
    }
  }

  private static double closes(ChordServer server, LiveClose reason) {
    return server
        .meterRegistry()
        .orElseThrow()
        .get("chord.live.closed")
        .tag("reason", reason.tag())
        .counter()
        .count();
  }
}
