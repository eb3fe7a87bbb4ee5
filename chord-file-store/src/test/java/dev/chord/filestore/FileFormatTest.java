package dev.chord.filestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Context;
import dev.chord.Epochs;
import dev.chord.spi.Snapshots;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The file format: every JSON-like value reads back equal and of the same type. */
class TypedJsonPropertiesTest {

  @Test
  void roundTrip_valueTypesThatPlainJsonLoses_exact() throws IOException {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("long", Long.MAX_VALUE);
    data.put("beyond53", (1L << 53) + 1);
    data.put("negative", Long.MIN_VALUE);
    data.put("decimal", new BigDecimal("1.50"));
    data.put("decimalExp", new BigDecimal("1E+3"));
    data.put("smallBigInteger", BigInteger.valueOf(12));
    data.put("hugeInteger", new BigInteger("123456789012345678901234567890"));
    data.put("double", 1.0);
    data.put("tiny", 4.9e-324);
    data.put("huge", 1.0e300);
    data.put("null", null);
    data.put("wrapperLookalike", Map.of("$dec", "not a decimal"));
    data.put("nestedLookalike", Map.of("$map", Map.of("$int", "7")));
    data.put("list", List.of(1L, "two", List.of(), Map.of()));
    data.put("text", "ünïcødé \"quoted\" \n ✓");
    Context context =
        new Context("room:1", 42, Snapshots.freeze(data), 1_700_000_000_123L, Epochs.next());

    Context back = FileContextStore.decode(FileContextStore.encode(context));

    assertThat(back).isEqualTo(context);
    assertThat(back.data().get("decimal")).isInstanceOf(BigDecimal.class);
    assertThat(((BigDecimal) back.data().get("decimal")).scale()).isEqualTo(2);
    assertThat(back.data().get("smallBigInteger")).isInstanceOf(BigInteger.class);
    assertThat(back.data().get("double")).isInstanceOf(Double.class);
    assertThat(back.data().get("beyond53")).isEqualTo((1L << 53) + 1);
  }

  @Test
  void roundTrip_randomTrees_equalAndSameTypes() throws IOException {
    long seed = Long.getLong("seed", System.nanoTime());
    System.out.println("TypedJsonPropertiesTest seed " + seed + " (replay: -Dseed=" + seed + ")");
    Random random = new Random(seed);
    for (int i = 0; i < 500; i++) {
      @SuppressWarnings("unchecked")
      Map<String, @Nullable Object> data = (Map<String, @Nullable Object>) map(random, 0);
      Context context =
          new Context(
              "id-" + i,
              1 + random.nextInt(1000),
              Snapshots.freeze(data),
              random.nextLong(),
              Epochs.next());
      Context back = FileContextStore.decode(FileContextStore.encode(context));
      assertThat(back).as("seed %d, tree %d", seed, i).isEqualTo(context);
      assertSameTypes(back.data(), context.data(), seed);
    }
  }

  private static void assertSameTypes(
      @Nullable Object actual, @Nullable Object expected, long seed) {
    if (expected == null) {
      assertThat(actual).isNull();
    } else if (expected instanceof Map<?, ?> map) {
      map.forEach((k, v) -> assertSameTypes(((Map<?, ?>) actual).get(k), v, seed));
    } else if (expected instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        assertSameTypes(((List<?>) actual).get(i), list.get(i), seed);
      }
    } else {
      assertThat(actual).as("seed %d", seed).isInstanceOf(expected.getClass());
      if (expected instanceof BigDecimal d) {
        assertThat(((BigDecimal) actual).scale()).isEqualTo(d.scale());
      }
    }
  }

  private static Object map(Random random, int depth) {
    Map<String, @Nullable Object> map = new HashMap<>();
    int size = depth > 4 ? 0 : random.nextInt(5);
    for (int i = 0; i < size; i++) {
      String key = random.nextInt(4) == 0 ? "$" + random.nextInt(3) : "k" + random.nextInt(20);
      map.put(key, value(random, depth + 1));
    }
    return map;
  }

  private static @Nullable Object value(Random random, int depth) {
    switch (random.nextInt(11)) {
      case 0:
        return null;
      case 1:
        return random.nextBoolean();
      case 2:
        return random.nextLong();
      case 3:
        return (long) random.nextInt(10);
      case 4:
        return random.nextDouble() * Math.pow(10, random.nextInt(40) - 20);
      case 5:
        return BigDecimal.valueOf(random.nextLong(), random.nextInt(20) - 5);
      case 6:
        return BigInteger.valueOf(random.nextInt(100)).shiftLeft(random.nextInt(100));
      case 7:
        return "s" + random.nextInt(100) + (random.nextBoolean() ? "\u00e9\"\\" : "");
      case 8:
        List<@Nullable Object> list = new ArrayList<>();
        int n = depth > 4 ? 0 : random.nextInt(4);
        for (int i = 0; i < n; i++) {
          list.add(value(random, depth + 1));
        }
        return list;
      case 9:
        return Map.of(random.nextBoolean() ? "$dec" : "$map", "x" + random.nextInt(9));
      default:
        return map(random, depth);
    }
  }
}
