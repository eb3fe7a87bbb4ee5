package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.spi.Snapshots;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class JsonCodecTest {

  static List<Object> edgeValues() {
    return Arrays.asList(
        null,
        true,
        false,
        "",
        "quote \" backslash \\ nul \u0000 emoji 😀 漢字",
        0L,
        -1L,
        Long.MAX_VALUE,
        Long.MIN_VALUE,
        (1L << 53) + 1,
        -((1L << 53) + 1),
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        1e300,
        1e-300,
        Double.MIN_VALUE,
        Double.MAX_VALUE,
        9007199254740993.0,
        1e16,
        new BigDecimal("1.50"),
        new BigDecimal("100"),
        new BigDecimal("1E+3"),
        new BigDecimal("-0.000"),
        new BigDecimal("123456789012345678901234567890.123456789"),
        BigInteger.ZERO,
        BigInteger.valueOf(42),
        BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE),
        new BigInteger("-123456789012345678901234567890"),
        List.of(),
        Arrays.asList(1L, null, "x", 2.0, List.of(new BigDecimal("2.0"))),
        Map.of(),
        Map.of("$dec", "not a number"),
        Map.of("$int", 5L),
        Map.of("$map", Map.of("$dec", "1")),
        Map.of("$map", Map.of("$map", Map.of())),
        Map.of("$x", Map.of("$dec", "2.5")),
        Map.of("$dec", "1.5", "other", 1L),
        Map.of("$map", Map.of("$int", "7"), "b", true),
        Map.of("action", "added", "value", 1L, "key", List.of("a")));
  }

  @ParameterizedTest
  @MethodSource("edgeValues")
  void value_roundTripsWithItsType(Object value) {
    Object frozen = Snapshots.freezeValue(value);

    Object read = Snapshots.freezeValue(JsonCodec.read(JsonCodec.write(frozen)));

    assertThat(read).isEqualTo(frozen);
    if (frozen != null) {
      assertThat(read).hasSameClassAs(frozen);
    }
    if (frozen instanceof BigDecimal decimal) {
      assertThat(((BigDecimal) read).scale()).isEqualTo(decimal.scale());
    }
  }

  @Test
  void wrappedValues_inDeepStructures_keepTheirTypes() {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("d", Map.of("x", List.of(Map.of("$dec", "user"), new BigDecimal("0.10"))));
    data.put("i", Map.of("$int", Map.of("$int", "9")));
    Object frozen = Snapshots.freezeValue(data);

    Object read = Snapshots.freezeValue(JsonCodec.read(JsonCodec.write(frozen)));

    assertThat(read).isEqualTo(frozen);
  }

  @Test
  void json_isReadable() {
    assertThat(JsonCodec.write(Snapshots.freezeValue(List.of(1, 1.0, "a"))))
        .isEqualTo("[1,1.0,\"a\"]");
    assertThat(JsonCodec.write(new BigDecimal("1.50"))).isEqualTo("{\"$dec\":\"1.50\"}");
    assertThat(JsonCodec.write(Snapshots.freezeValue(Map.of("$k", 1))))
        .isEqualTo("{\"$map\":{\"$k\":1}}");
  }

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
    DeltaRecord read = JsonCodec.readDeltaMessage("ctx", message, "epochOfCtx");

    assertThat(read).isEqualTo(record);
    // Milliseconds as given: the stored form never converts times.
    assertThat(message).startsWith("{\"version\":7,\"insertedAt\":1764130000123,\"changes\":[");
    assertThat(message).doesNotContain("epochOfCtx");
  }
}
