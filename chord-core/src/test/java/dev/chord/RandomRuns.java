package dev.chord;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Seeded randomness for tests written with plain JUnit: every run gets its own seed, a failing run
 * names it, and {@code -Dchord.seed=<seed>} replays exactly that run.
 */
final class RandomRuns {
  private static final String[] KEYS = {"a", "b", "c", "n", "m", "a/b", "~1", ""};

  private RandomRuns() {}

  /**
   * Calls {@code run} {@code runs} times, each with a {@link Random} of its own seed; with {@code
   * chord.seed} set, once with that seed.
   *
   * @throws AssertionError naming the seed of the first run that failed
   */
  static void repeat(int runs, Consumer<Random> run) {
    Long replay = Long.getLong("chord.seed");
    if (replay != null) {
      runOne(replay, run);
      return;
    }
    Random seeds = new Random(new SecureRandom().nextLong());
    for (int i = 0; i < runs; i++) {
      runOne(seeds.nextLong(), run);
    }
  }

  /** {@link #repeat} for one run. */
  static void once(Consumer<Random> run) {
    repeat(1, run);
  }

  private static void runOne(long seed, Consumer<Random> run) {
    try {
      run.accept(new Random(seed));
    } catch (RuntimeException | AssertionError e) {
      String replay = "failed with seed " + seed + "; replay with -Dchord.seed=" + seed;
      System.err.println(replay);
      throw new AssertionError(replay + ": " + e, e);
    }
  }

  /** A small JSON-like map (few keys, so that edits collide), nested up to {@code depth}. */
  static Map<String, Object> map(Random random, int depth) {
    Map<String, Object> map = new LinkedHashMap<>();
    int size = random.nextInt(4);
    for (int i = 0; i < size; i++) {
      map.put(KEYS[random.nextInt(KEYS.length)], value(random, depth - 1));
    }
    return map;
  }

  private static Object value(Random random, int depth) {
    int kind = random.nextInt(depth > 0 ? 7 : 5);
    return switch (kind) {
      case 0 -> (long) random.nextInt(5);
      case 1 -> "s" + random.nextInt(3);
      case 2 -> random.nextBoolean();
      case 3 -> null;
      case 4 -> random.nextInt(3) / 2.0;
      case 5 -> map(random, depth);
      default -> list(random, depth);
    };
  }

  private static List<Object> list(Random random, int depth) {
    List<Object> list = new ArrayList<>();
    int size = random.nextInt(3);
    for (int i = 0; i < size; i++) {
      list.add(value(random, depth - 1));
    }
    return list;
  }
}
