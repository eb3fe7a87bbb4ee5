package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.chord.Chord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A started server's Chord: the builder's Chord settings, the hook's, else Chord's defaults. */
class ChordServerBuilderIT {
  static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  @Test
  void settingsThroughTheHook_areCheckedAtStartByChord() {
    Throwable chords = catchThrowable(() -> Chord.builder().contextAutoDelete(true).build());
    assertThat(chords).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> ServerFixture.start(b -> b.chord(c -> c.contextAutoDelete(true))).close())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(chords.getMessage());
  }

  @Test
  void defaults_areChords() {
    try (ChordServer server = ServerFixture.start(b -> b)) {
      assertThat(server.chord().deltaThreshold()).isEqualTo(Chord.Builder.DEFAULT_DELTA_THRESHOLD);
    }
  }

  @Test
  void mirroredSettingsAndTheHook_reachTheChord() {
    MovingClock clock = new MovingClock(T0);
    try (ChordServer server =
        ServerFixture.start(
            b ->
                b.deltaThreshold(3)
                    .clock(clock)
                    .contextTtl(Duration.ofMinutes(5))
                    .chord(c -> c.timeUnit(ChronoUnit.MILLIS)))) {
      assertThat(server.chord().deltaThreshold()).isEqualTo(3);
      Http http = new Http(server.url());
      Map<String, Object> context = http.put("/contexts/room:1", Map.of("a", 1)).map("context");
      // The server's clock is the Chord's, in the unit given through the hook.
      assertThat(((Number) context.get("insertedAt")).longValue()).isEqualTo(T0.toEpochMilli());
      // contextTtl turned auto-delete on: the room goes once it is older than the TTL.
      assertThat(http.post("/admin/cleanup").json()).containsEntry("contextsDeleted", 0);
      clock.now = T0.plus(Duration.ofMinutes(6));
      assertThat(http.post("/admin/cleanup").json()).containsEntry("contextsDeleted", 1);
      assertThat(http.get("/contexts/room:1").status()).isEqualTo(404);
    }
  }

  /** A clock the test moves; read by the server's threads, hence volatile. */
  static final class MovingClock extends Clock {
    volatile Instant now;

    MovingClock(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
