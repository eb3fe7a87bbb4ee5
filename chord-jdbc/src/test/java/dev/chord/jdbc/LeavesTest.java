package dev.chord.jdbc;

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
 * The stored forms without a database: the leaf rows a delta writes, and the notification header.
 * How values are written is the law of {@code dev.chord.json.TypedJsonPropertiesTest} in
 * chord-json. Random cases come from a seeded generator that prints its seed ({@code
 * -Dchord.seed=…} replays one).
 */
class LeavesTest {
  private static final long SEED = Long.getLong("chord.seed", System.nanoTime());
  private static final int RUNS = 300;

  /**
   * The rows a delta's writes leave, applied to the rows of the state before it, are exactly the
   * rows of the state after it: the layout stores what the context is, change by change.
   */
  @Test
  void randomDeltas_leaveExactlyTheRowsOfTheNewState() {
    Random random = new Random(SEED);
    System.out.println("LeavesTest seed " + SEED);
    for (int run = 0; run < RUNS; run++) {
      Map<String, @Nullable Object> before = Snapshots.freeze(randomMap(random, 3));
      Map<String, @Nullable Object> after = Snapshots.freeze(mutate(random, before, 3));
      Delta delta = Delta.diff(before, after);
      Map<String, String> rows = rows(before);

      Leaves.Writes writes = Leaves.of(new DeltaRecord("id", 2, delta, 5, "epochEpoch01"));
      writes.deletes().forEach(rows::remove);
      for (int i = 0; i < writes.paths().size(); i++) {
        rows.put(writes.paths().get(i), writes.values().get(i));
      }

      assertThat(rows).as("seed %d run %d", SEED, run).isEqualTo(rows(after));
      assertThat(Leaves.rebuild(new ArrayList<>(rows.keySet()), new ArrayList<>(rows.values())))
          .isEqualTo(after);
      DeltaRecord read = Leaves.JSON.readDeltaMessage("id", writes.message(), "epochEpoch01");
      assertThat(read.delta()).isEqualTo(delta);
      assertThat(read.version()).isEqualTo(2);
      assertThat(read.insertedAt()).isEqualTo(5);
    }
  }

  @Test
  void header_countsTheIdInCodePoints() {
    String id = "a 😀 b";
    String payload = "d epochEpoch01 7 " + id.codePointCount(0, id.length()) + " " + id + "{}";
    Notifications.Message.Header header = Notifications.Message.header(payload);
    assertThat(header.contextId()).isEqualTo(id);
    assertThat(header.version()).isEqualTo(7);
    assertThat(header.epoch()).isEqualTo("epochEpoch01");
    assertThat(header.body()).isEqualTo("{}");
    assertThatThrownBy(() -> Notifications.Message.header("d epochEpoch01 7"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static Map<String, String> rows(Map<String, @Nullable Object> data) {
    List<String> paths = new ArrayList<>();
    List<String> values = new ArrayList<>();
    Leaves.rowsOf(data, paths, values);
    Map<String, String> rows = new HashMap<>();
    for (int i = 0; i < paths.size(); i++) {
      assertThat(rows.put(paths.get(i), values.get(i))).as("one row per path").isNull();
    }
    return rows;
  }

  private static final String[] KEYS = {"a", "b", "c", "$dec", "$map", "", "a/b", "ü", "\"q\""};

  private static Map<String, @Nullable Object> randomMap(Random random, int depth) {
    Map<String, @Nullable Object> map = new HashMap<>();
    int size = random.nextInt(5);
    for (int i = 0; i < size; i++) {
      map.put(KEYS[random.nextInt(KEYS.length)], randomValue(random, depth - 1));
    }
    return map;
  }

  private static @Nullable Object randomValue(Random random, int depth) {
    int kind = random.nextInt(depth > 0 ? 12 : 10);
    return switch (kind) {
      case 0 -> null;
      case 1 -> random.nextBoolean();
      case 2 -> random.nextLong();
      case 3 -> (long) random.nextInt(100);
      case 4 -> random.nextDouble() * Math.pow(10, random.nextInt(40) - 20);
      case 5 -> new BigDecimal(BigInteger.valueOf(random.nextInt()), random.nextInt(10) - 3);
      case 6 -> BigInteger.valueOf(random.nextLong()).multiply(BigInteger.TEN.pow(5));
      case 7 -> "s" + random.nextInt(10) + (random.nextBoolean() ? "\u0000\\\"" : "");
      case 8 -> "";
      case 9 -> List.of();
      case 10 -> java.util.Arrays.asList(randomValue(random, depth - 1), "x");
      default -> randomMap(random, depth);
    };
  }

  /** A copy of {@code map} with some entries changed, removed, added or changed inside. */
  @SuppressWarnings("unchecked")
  private static Map<String, @Nullable Object> mutate(
      Random random, Map<String, @Nullable Object> map, int depth) {
    Map<String, @Nullable Object> out = new HashMap<>(map);
    for (String key : KEYS) {
      int what = random.nextInt(6);
      if (what == 0) {
        out.remove(key);
      } else if (what == 1) {
        out.put(key, randomValue(random, depth - 1));
      } else if (what == 2 && out.get(key) instanceof Map<?, ?> inner && depth > 1) {
        out.put(key, mutate(random, (Map<String, @Nullable Object>) inner, depth - 1));
      }
    }
    return out;
  }
}
