package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.Epochs;
import dev.chord.spi.Snapshots;
import dev.chord.testsupport.RedisServers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The node's copies of contexts: bounded by their approximate bytes and by their count, each
 * weighed by its stored form, exactly along commits, catch-up reads, conflicts and restores.
 */
class RedisCacheIT {
  private static final String PREFIX =
      "chord-cache-" + UUID.randomUUID().toString().substring(0, 8);

  @AfterAll
  static void deleteKeys() {
    TestKeys.deleteKeys(RedisServers.standalone(), false, PREFIX);
  }

  private static RedisBackend.Builder node() {
    return RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX);
  }

  /** The size the cache weighs {@code context} by, computed from its data afresh. */
  private static long sizeOf(Context context) {
    return LeafLayout.size(LeafLayout.fieldsOf(context.data()));
  }

  private static Map<String, Object> room(int participants, String status) {
    Map<String, Object> people = new HashMap<>();
    for (int i = 0; i < participants; i++) {
      people.put("user-" + i, Map.of("status", status, "n", i));
    }
    return Map.of("topic", "launch", "participants", people);
  }

  /**
   * The weight of a copy follows the context through every way it reaches the node (its own creates
   * and updates, another node's updates read as deltas, a conflict reply, a restore) and always
   * equals the size of what is stored, computed afresh.
   */
  @Test
  void weights_followEveryPathAndEqualTheStoredSize() {
    String id = "weights-" + UUID.randomUUID();
    try (RedisBackend a = node().build();
        RedisBackend b = node().build();
        Chord onA = Chord.builder().backend(a).build();
        Chord onB = Chord.builder().backend(b).build()) {
      onA.setContext(id, room(20, "active"));
      assertThat(a.held().get(id).bytes()).isEqualTo(sizeOf(a.get(id).orElseThrow()));

      onB.getContext(id);
      for (int i = 0; i < 10; i++) {
        onA.updateContext(
            id, Map.of("participants", Map.of("user-" + i, Map.of("status", "away"))));
        onA.updateContext(id, Map.of("note", i % 2 == 0 ? Map.of("long", "x".repeat(i)) : "n"));
      }
      // b's copy is 20 versions behind: its read applies the deltas. (Chord's contexts carry its
      // time unit; the backend's, compared here, milliseconds.)
      onB.getContext(id);
      Context current = a.get(id).orElseThrow();
      assertThat(b.held().get(id).context()).isEqualTo(current);
      assertThat(b.held().get(id).bytes()).isEqualTo(sizeOf(current));
      assertThat(a.held().get(id).bytes()).isEqualTo(sizeOf(current));

      // b writes from its copy while a moves on: the conflict reply brings the delta b lacks.
      onA.updateContext(id, Map.of("participants", Map.of("user-3", Map.of("status", "gone"))));
      onB.updateContext(id, Map.of("topic", "retro"));
      Context stored = a.get(id).orElseThrow();
      assertThat(b.held().get(id).context()).isEqualTo(stored);
      assertThat(b.held().get(id).bytes()).isEqualTo(sizeOf(stored));
      assertThat(a.held().get(id).bytes()).isEqualTo(sizeOf(stored));

      // A restore to an earlier state, as Chord's restoreContext does it: a new epoch.
      Context earlier = new Context(id, 3, Snapshots.freeze(room(2, "back")), 7, Epochs.next());
      a.restore(earlier);
      assertThat(a.held().get(id).context()).isEqualTo(earlier);
      assertThat(a.held().get(id).bytes()).isEqualTo(sizeOf(a.get(id).orElseThrow()));
      onA.deleteContext(id);
      assertThat(a.held()).doesNotContainKey(id);
    }
  }

  /** Copies weigh what they hold: their bytes add up to at most cacheBytes. */
  @Test
  void cacheBytes_boundsTheHeldBytes_andAContextLargerThanItIsNotKept() {
    String run = UUID.randomUUID().toString();
    long bound = 40_000;
    try (RedisBackend backend = node().cacheBytes(bound).cacheSize(1_000).build();
        Chord chord = Chord.builder().backend(backend).build()) {
      for (int i = 0; i < 30; i++) {
        chord.setContext("bytes-" + run + "-" + i, room(10, "active"));
      }
      Map<String, RedisBackend.Held> held = backend.held();
      long one = sizeOf(held.values().iterator().next().context());
      assertThat(one).isBetween(1_000L, bound / 10);
      assertThat(held.values().stream().mapToLong(RedisBackend.Held::bytes).sum())
          .isLessThanOrEqualTo(bound);
      assertThat(held).hasSizeBetween(1, (int) (bound / one));

      String big = "bytes-" + run + "-big";
      chord.setContext(big, room(1_000, "active"));
      assertThat(sizeOf(backend.get(big).orElseThrow())).isGreaterThan(bound);
      assertThat(backend.held()).doesNotContainKey(big);
      for (int i = 0; i < 30; i++) {
        chord.deleteContext("bytes-" + run + "-" + i);
      }
      chord.deleteContext(big);
    }
  }

  /** cacheSize still bounds the count when the contexts are small beside cacheBytes. */
  @Test
  void cacheSize_boundsTheCount_cacheSizeZeroOrCacheBytesZeroKeepsNone() {
    String run = UUID.randomUUID().toString();
    List<RedisBackend.Builder> builders =
        List.of(node().cacheSize(3), node().cacheSize(0), node().cacheBytes(0));
    List<Integer> held = new ArrayList<>();
    for (RedisBackend.Builder builder : builders) {
      RedisBackend backend = builder.build();
      try (Chord chord = Chord.builder().backend(backend).build()) {
        for (int i = 0; i < 10; i++) {
          chord.setContext("count-" + run + "-" + i, Map.of("n", i));
          chord.getContext("count-" + run + "-" + i);
        }
        held.add(backend.held().size());
      }
    }
    assertThat(held.get(0)).isBetween(1, 3);
    assertThat(held.subList(1, 3)).containsExactly(0, 0);
  }
}
