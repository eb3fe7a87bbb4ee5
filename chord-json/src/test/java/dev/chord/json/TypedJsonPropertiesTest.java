package dev.chord.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.spi.Snapshots;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The law of the convention, for both forms: every JSON-like tree reads back equal and with the
 * same Java types (BigDecimal scale included), and each form reads what the other wrote. Random
 * trees come from a seeded generator that prints its seed ({@code -Dchord.seed=…} replays one) and
 * draws the edge cases on purpose.
 */
class TypedJsonPropertiesTest {
  private static final long SEED = Long.getLong("chord.seed", System.nanoTime());
  private static final int RUNS = 1000;
  private static final List<TypedJson> FORMS = List.of(TypedJson.standard(), TypedJson.jsonbSafe());

  /**
   * Keys that are special somewhere: a JSON Pointer's / and ~, wrapper tags, U+0000, a surrogate
   * pair. (Unpaired surrogates never reach a store: Chord refuses them on the way in.)
   */
  private static final String[] KEYS = {
    "a",
    "b",
    "",
    "a/b",
    "~0",
    "~1/",
    "$",
    "$dec",
    "$int",
    "$map",
    "$dbl",
    "$x",
    "nul\u0000",
    "😀",
    "\"q\"\\",
    "tab\t\n"
  };

  private static final List<@Nullable Object> EDGE_VALUES =
      List.of(
          Long.MIN_VALUE,
          Long.MAX_VALUE,
          (1L << 53) + 1,
          -(1L << 53) - 1,
          0L,
          0.0,
          -0.0,
          1.0,
          0.1,
          1.0e300,
          -1.0e-300,
          4.9e-324,
          Double.MAX_VALUE,
          1.0e7,
          1.0e-3,
          9007199254740993.0,
          1e16,
          new BigDecimal("100"),
          BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE),
          Map.of("$dec", "1.5", "other", 1L),
          Map.of("$map", Map.of("$map", Map.of())),
          Map.of("$x", Map.of("$dec", "2.5")),
          Map.of("action", "added", "value", 1L, "key", List.of("a")),
          new BigDecimal("1.50"),
          new BigDecimal("1E+3"),
          new BigDecimal("-0.000"),
          new BigDecimal("123456789012345678901234567890.123456789"),
          BigInteger.ZERO,
          BigInteger.valueOf(12),
          new BigInteger("-123456789012345678901234567890"),
          "",
          "\u0000",
          "😀",
          "\"\\/\b\f\n\r\t",
          "{}",
          "12",
          true,
          false,
          Map.of(),
          List.of(),
          Map.of("$dec", "not a decimal"),
          Map.of("$dbl", "1.0E300"),
          Map.of("$map", Map.of("$int", "7")),
          Map.of("$int", 7L));

  @Test
  void randomTrees_roundTripInBothForms_equalWithTheirTypes() {
    System.out.println(
        "TypedJsonPropertiesTest seed " + SEED + " (replay: -Dchord.seed=" + SEED + ")");
    Random random = new Random(SEED);
    for (int run = 0; run < RUNS; run++) {
      Map<String, @Nullable Object> tree = Snapshots.freeze(map(random, 4));
      for (TypedJson writer : FORMS) {
        String json = writer.write(tree);
        for (TypedJson reader : FORMS) {
          Map<String, @Nullable Object> back = reader.readData(json);
          assertThat(Snapshots.freeze(back))
              .as("seed %d run %d: %s", SEED, run, json)
              .isEqualTo(tree);
          assertSameTypes(back, tree, json);
        }
      }
    }
  }

  /** A delta message of any delta between two random trees reads back as the same record. */
  @Test
  void randomDeltas_messageRoundTripsInBothForms() {
    System.out.println(
        "TypedJsonPropertiesTest seed " + SEED + " (replay: -Dchord.seed=" + SEED + ")");
    Random random = new Random(SEED + 1);
    for (int run = 0; run < RUNS / 2; run++) {
      Map<String, @Nullable Object> before = Snapshots.freeze(map(random, 3));
      Map<String, @Nullable Object> after = Snapshots.freeze(map(random, 3));
      DeltaRecord record =
          new DeltaRecord(
              "ctx", 1 + run, Delta.diff(before, after), random.nextLong(), "epochEpoch01");
      for (TypedJson form : FORMS) {
        String message = form.writeDeltaMessage(record);
        assertThat(form.readDeltaMessage("ctx", message, "epochEpoch01"))
            .as("seed %d run %d: %s", SEED, run, message)
            .isEqualTo(record);
        assertThat(message).doesNotContain("epochEpoch01");
      }
    }
  }

  @Test
  void everyEdgeValue_aloneAndAsLeaf_roundTrips() {
    for (Object value : EDGE_VALUES) {
      Object frozen = Snapshots.freezeValue(value);
      for (TypedJson form : FORMS) {
        String json = form.write(frozen);
        Object back = form.read(json);
        assertThat(Snapshots.freezeValue(back)).as(json).isEqualTo(frozen);
        assertSameTypes(back, frozen, json);
      }
    }
  }

  @Test
  void standardForm_isTheBytesChordRedisAndTheFileStoreHaveAlwaysWritten() {
    TypedJson standard = TypedJson.standard();
    assertThat(standard.write(1.0e300)).isEqualTo("1.0E300");
    assertThat(standard.write(-0.0)).isEqualTo("-0.0");
    assertThat(standard.write(new BigDecimal("1.50"))).isEqualTo("{\"$dec\":\"1.50\"}");
    assertThat(standard.write(BigInteger.TEN)).isEqualTo("{\"$int\":\"10\"}");
    assertThat(standard.write(Map.of("$x", 1L))).isEqualTo("{\"$map\":{\"$x\":1}}");
    assertThat(standard.write("nul\u0000")).isEqualTo("\"nul\\u0000\"");
  }

  @Test
  void jsonbSafeForm_wrapsWhatNumericWouldChange_andEscapesSurrogates() {
    TypedJson safe = TypedJson.jsonbSafe();
    assertThat(safe.write(1.0e300)).isEqualTo("{\"$dbl\":\"1.0E300\"}");
    assertThat(safe.write(-0.0)).isEqualTo("{\"$dbl\":\"-0.0\"}");
    assertThat(safe.write(0.1)).isEqualTo("0.1");
    assertThat(safe.write("a\ud800😀é")).isEqualTo("\"a\\ud800\\ud83d\\ude00é\"");
    // The bytes chord-jdbc's own writer produced (leaf paths are primary keys: they must not move).
    assertThat(safe.write(List.of("q\"b\\/\n\t\u0000\u001f")))
        .isEqualTo("[\"q\\\"b\\\\/\\u000a\\u0009\\u0000\\u001f\"]");
  }

  /** What PostgreSQL prints back for a jsonb value: spaces, keys reordered, numeric text kept. */
  @Test
  void read_ofJsonbReprint_givesTheSameValues() {
    Object back =
        TypedJson.jsonbSafe()
            .read(
                "{\"b\": {\"$dbl\": \"1.0E300\"}, \"a\": 9007199254740993, \"c\": [1.0, {\"$dec\": \"1.50\"}]}");
    assertThat(back)
        .isEqualTo(
            Map.of(
                "a", 9007199254740993L, "b", 1.0e300, "c", List.of(1.0, new BigDecimal("1.50"))));
  }

  @Test
  void write_ofNaNAndInfinities_refused() {
    for (double d : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      for (TypedJson form : FORMS) {
        assertThatThrownBy(() -> form.write(List.of(d)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("not a JSON-like value");
      }
    }
  }

  @Test
  void read_ofMalformedText_failsClearly() {
    for (String bad :
        List.of(
            "", "{", "[1,]", "\"open", "tru", "{\"a\" 1}", "1 2", "\"\\x\"", "{\"$dec\":\"x\"}")) {
      assertThatThrownBy(() -> TypedJson.standard().read(bad))
          .as(bad)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("unreadable typed JSON");
    }
    assertThatThrownBy(() -> TypedJson.standard().readData("[1]"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> TypedJson.standard().readDeltaMessage("c", "{\"version\":1}", "e"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not a delta message");
  }

  private static void assertSameTypes(
      @Nullable Object actual, @Nullable Object expected, String json) {
    if (expected == null) {
      assertThat(actual).as(json).isNull();
    } else if (expected instanceof Map<?, ?> map) {
      assertThat(actual).as(json).isInstanceOf(Map.class);
      map.forEach((k, v) -> assertSameTypes(((Map<?, ?>) actual).get(k), v, json));
    } else if (expected instanceof List<?> list) {
      assertThat(actual).as(json).isInstanceOf(List.class);
      for (int i = 0; i < list.size(); i++) {
        assertSameTypes(((List<?>) actual).get(i), list.get(i), json);
      }
    } else {
      assertThat(actual).as(json).isInstanceOf(expected.getClass());
      if (expected instanceof BigDecimal d) {
        assertThat(((BigDecimal) actual).scale()).as(json).isEqualTo(d.scale());
      }
      if (expected instanceof Double d) {
        // -0.0 equals 0.0 under ==; Double.equals and the bits tell them apart.
        assertThat(Double.doubleToRawLongBits((Double) actual))
            .as(json)
            .isEqualTo(Double.doubleToRawLongBits(d));
      }
    }
  }

  private static Map<String, @Nullable Object> map(Random random, int depth) {
    Map<String, @Nullable Object> map = new HashMap<>();
    int size = depth <= 0 ? 0 : random.nextInt(5);
    for (int i = 0; i < size; i++) {
      map.put(KEYS[random.nextInt(KEYS.length)], value(random, depth - 1));
    }
    return map;
  }

  private static @Nullable Object value(Random random, int depth) {
    return switch (random.nextInt(depth > 0 ? 12 : 9)) {
      case 0 -> null;
      case 1 -> random.nextBoolean();
      case 2 -> random.nextLong();
      case 3 -> EDGE_VALUES.get(random.nextInt(EDGE_VALUES.size()));
      case 4 -> random.nextDouble() * Math.pow(10, random.nextInt(600) - 300);
      case 5 ->
          new BigDecimal(new BigInteger(random.nextInt(100), random), random.nextInt(20) - 10);
      case 6 -> new BigInteger(random.nextInt(130), random).negate();
      case 7 -> randomString(random);
      case 8 -> finiteFromBits(random.nextLong());
      case 9 -> {
        List<@Nullable Object> list = new ArrayList<>();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
          list.add(value(random, depth - 1));
        }
        yield list;
      }
      case 10 -> wrapperLookalike(random, depth);
      default -> map(random, depth);
    };
  }

  /** A double of any bit pattern (subnormals, -0.0, huge exponents), NaN and infinities aside. */
  private static double finiteFromBits(long bits) {
    double d = Double.longBitsToDouble(bits);
    return Double.isFinite(d) ? d : -0.0;
  }

  /** A user map whose only key starts with $, holding anything (a wrapper's string included). */
  private static Map<String, @Nullable Object> wrapperLookalike(Random random, int depth) {
    Map<String, @Nullable Object> map = new HashMap<>();
    map.put(KEYS[6 + random.nextInt(6)], random.nextBoolean() ? "7" : value(random, depth - 1));
    return map;
  }

  /** Any text: ASCII, controls, BMP and surrogate pairs (Chord refuses unpaired surrogates). */
  private static char bmpChar(Random random) {
    char c = (char) random.nextInt(0x10000);
    return Character.isSurrogate(c) ? 'x' : c;
  }

  private static String randomString(Random random) {
    StringBuilder out = new StringBuilder();
    int n = random.nextInt(8);
    for (int i = 0; i < n; i++) {
      out.append(
          switch (random.nextInt(4)) {
            case 0 -> (char) ('a' + random.nextInt(26));
            case 1 -> (char) random.nextInt(0x20);
            case 2 -> Character.toString(0x10000 + random.nextInt(0x100000));
            default -> bmpChar(random);
          });
    }
    return out.toString();
  }
}
