package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The idle timeout cannot be shorter than the server's pings need. */
class WsIdleTimeoutTest {
  @Test
  void shorterThanTwoPingIntervals_isRejected_sayingWhy() {
    assertThatThrownBy(() -> ChordServer.builder().wsIdleTimeout(Duration.ofMillis(29_999)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wsIdleTimeout must be at least 30s")
        .hasMessageContaining("15s between the server's pings")
        .hasMessageEndingWith("was 29999ms");
    assertThatThrownBy(() -> ChordServer.builder().wsIdleTimeout(Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void fromTwoPingIntervalsToADay_isAccepted_andNotLonger() {
    assertThatCode(() -> ChordServer.builder().wsIdleTimeout(Duration.ofSeconds(30)))
        .doesNotThrowAnyException();
    assertThatCode(() -> ChordServer.builder().wsIdleTimeout(Duration.ofDays(1)))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> ChordServer.builder().wsIdleTimeout(Duration.ofDays(1).plusMillis(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("between 30s and 1d");
    assertThatThrownBy(() -> ChordServer.builder().wsIdleTimeout(null))
        .isInstanceOf(NullPointerException.class);
  }
}
