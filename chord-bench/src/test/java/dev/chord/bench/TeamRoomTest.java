package dev.chord.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TeamRoomTest {
  private static final DateTimeFormatter ELIXIR =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  @Test
  void timestamp_isElixirsDateTimeToString_forInstantsFrom1970To2100() {
    long seed = Long.getLong("chord.seed", System.nanoTime());
    SplittableRandom random = new SplittableRandom(seed);
    long end = Instant.parse("2100-01-01T00:00:00Z").getEpochSecond() * 1_000_000L;
    for (int i = 0; i < 10_000; i++) {
      long micros = random.nextLong(end);
      Instant instant = Instant.ofEpochSecond(micros / 1_000_000L, micros % 1_000_000L * 1_000L);
      assertThat(TeamRoom.timestamp(micros))
          .as("epoch micros %d (replay with -Dchord.seed=%d)", micros, seed)
          .isEqualTo(ELIXIR.format(instant));
    }
  }
}
