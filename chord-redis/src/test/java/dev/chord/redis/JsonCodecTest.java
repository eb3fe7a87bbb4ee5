package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.spi.Snapshots;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Redis delta message. How values are written (every type, wrappers, edge cases) is the law of
 * {@code dev.chord.json.TypedJsonPropertiesTest} in chord-json.
 */
class JsonCodecTest {

  @Test
  void deltaMessage_roundTrips() {
    Map<String, Object> before =
        Snapshots.freeze(
            Map.of("a", 1, "m", Map.of("x", new BigDecimal("1.0")), "gone", List.of(1)));
    Map<String, Object> after =
        Snapshots.freeze(
            Map.of(
                "a",
                2.0,
                "m",
                Map.of("x", new BigDecimal("1.00"), "y", Map.of()),
                "n",
                Map.of("k", (Object) BigInteger.TEN)));
    long at = 1_764_130_000_123L;
    DeltaRecord record = new DeltaRecord("ctx", 7, Delta.diff(before, after), at, "epochOfCtx");

    String message = LeafLayout.of(record).message();
    DeltaRecord read = JsonCodec.VALUES.readDeltaMessage("ctx", message, "epochOfCtx");

    assertThat(read).isEqualTo(record);
    // Milliseconds as given: the stored form never converts times.
    assertThat(message).startsWith("{\"version\":7,\"insertedAt\":1764130000123,\"changes\":[");
    assertThat(message).doesNotContain("epochOfCtx");
  }
}
