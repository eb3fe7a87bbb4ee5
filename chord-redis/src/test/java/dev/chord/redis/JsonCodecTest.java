package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.spi.Snapshots;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
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

  @Test
  void readDeltaMessage_wrappersNullsAndRemovals_readBackAsWritten() {
    Map<String, Object> before =
        Snapshots.freeze(
            Map.of("$odd", Map.of("$map", 1), "gone", Map.of("k", List.of()), "big", 1L << 60));
    Map<String, Object> after =
        Snapshots.freeze(
            Map.of("$odd", Map.of("$map", 2), "new", Map.of("$x", Map.of()), "big", "text"));
    DeltaRecord record = new DeltaRecord("c", 3, Delta.diff(before, after), 5, "epochOfC");
    String message = LeafLayout.of(record).message();

    assertThat(JsonCodec.VALUES.readDeltaMessage("c", message, "epochOfC")).isEqualTo(record);
  }

  @Test
  void readDeltaMessage_notAMessage_fails() {
    for (String json :
        List.of(
            "[]",
            "{\"version\":1,\"insertedAt\":2}",
            "{\"version\":1,\"insertedAt\":2,\"changes\":[{\"path\":[\"a\"]}]}",
            "{\"version\":1,\"insertedAt\":2,\"changes\":[{\"path\":[\"a\"],\"action\":\"x\"}]}",
            "{\"version\":\"1\",\"insertedAt\":2,\"changes\":[]}",
            "{\"version\":1,\"insertedAt\":2,\"changes\":[]} {}")) {
      assertThatThrownBy(() -> JsonCodec.VALUES.readDeltaMessage("c", json, "e"))
          .as(json)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("not a delta message");
    }
  }

  @Test
  void leaf_anyValue_isWhatTheGeneralWriterWrites() {
    Random random = new Random(20261204);
    char[] alphabet = {
      'a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\u0000', '\u001f', '\u007f', 'é', '\u2028',
      '\ud83d', '\ude00', '\uffff'
    };
    List<Object> values = new ArrayList<>(List.of(true, false, Long.MIN_VALUE, Long.MAX_VALUE, 0L));
    values.add(null);
    values.add(1.5e300);
    values.add(new BigDecimal("1.10"));
    values.add("");
    for (int i = 0; i < 2_000; i++) {
      StringBuilder text = new StringBuilder();
      for (int n = random.nextInt(12); n > 0; n--) {
        text.append(alphabet[random.nextInt(alphabet.length)]);
      }
      values.add(text.toString());
      values.add(random.nextLong());
    }

    for (Object value : values) {
      assertThat(JsonCodec.leaf(value)).as("%s", value).isEqualTo(JsonCodec.VALUES.write(value));
    }
  }
}
