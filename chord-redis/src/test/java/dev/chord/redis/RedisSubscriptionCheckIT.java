package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.Epochs;
import dev.chord.spi.Commit;
import dev.chord.spi.Snapshots;
import dev.chord.tck.RecordingFeed;
import dev.chord.testsupport.RedisServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The check of quiet subscriptions ({@link RedisBackend.Builder#subscriptionCheckInterval}) on a
 * server and on the cluster: writes whose channel message nobody receives (the script is called
 * with another channel, so the loss is certain, not a race) reach the subscriber all the same, in
 * order and once; a subscription that heard everything gets nothing more.
 */
class RedisSubscriptionCheckIT {
  private static final String PREFIX =
      "chord-check-" + UUID.randomUUID().toString().substring(0, 8);

  private static final Duration INTERVAL = Duration.ofMillis(100);

  @AfterAll
  static void deleteKeys() {
    TestKeys.deleteKeys(RedisServers.standalone(), false, PREFIX);
    TestKeys.deleteKeys(RedisServers.cluster(), true, PREFIX);
  }

  private static Supplier<RedisBackend.Builder> nodes(boolean cluster) {
    return cluster
        ? () -> RedisBackend.clusterBuilder(RedisServers.cluster()).keyPrefix(PREFIX)
        : () -> RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX);
  }

  /**
   * Two commits, then a delete and a re-create, none of whose messages reach node B: B's listener
   * gets the two commits as deltas from the history, in order, then the new incarnation as a reset,
   * and the commit after that as a delta; nothing twice.
   */
  @ParameterizedTest(name = "cluster={0}")
  @ValueSource(booleans = {false, true})
  void unheardWrites_reachTheSubscriberInOrder(boolean cluster) throws Exception {
    String id = "unheard {" + UUID.randomUUID() + "}";
    Supplier<RedisBackend.Builder> node = nodes(cluster);
    try (RedisBackend writer = node.get().build();
        Chord a = Chord.builder().backend(writer).build();
        Chord b =
            Chord.builder()
                .backend(node.get().subscriptionCheckInterval(INTERVAL).build())
                .build()) {
      Mirror mirror = new Mirror();
      try (AutoCloseable subscription = b.subscribe(id, mirror)) {
        a.setContext(id, Map.of("n", 0));
        a.updateContext(id, Map.of("n", 1));
        mirror.awaitState(writer.get(id));

        commitUnheard(writer, id, Map.of("n", 2));
        commitUnheard(writer, id, Map.of("n", 3));
        mirror.awaitState(writer.get(id));
        assertThat(mirror.events()).containsExactly("delta 1", "delta 2", "delta 3", "delta 4");

        deleteUnheard(writer, id);
        createUnheard(writer, id, Map.of("n", "new"));
        mirror.awaitState(writer.get(id));
        a.updateContext(id, Map.of("n", "newer"));
        mirror.awaitState(writer.get(id));
        assertThat(mirror.events())
            .containsExactly("delta 1", "delta 2", "delta 3", "delta 4", "reset 1", "delta 2");
      }
    }
  }

  /**
   * A context whose subscriber heard every commit, and one written only before the subscription,
   * get nothing from the checks while they run: another context on the same node, quiet too but
   * behind, is brought up to date by them twice (each time a reset without epoch), which shows that
   * checks ran for all three meanwhile.
   */
  @ParameterizedTest(name = "cluster={0}")
  @ValueSource(booleans = {false, true})
  void upToDateSubscription_getsNothingFromTheChecks(boolean cluster) throws Exception {
    String heard = "heard {" + UUID.randomUUID() + "}";
    String behind = "behind {" + UUID.randomUUID() + "}";
    String before = "before {" + UUID.randomUUID() + "}";
    Supplier<RedisBackend.Builder> node = nodes(cluster);
    RecordingFeed heardFeed = new RecordingFeed();
    RecordingFeed behindFeed = new RecordingFeed();
    RecordingFeed beforeFeed = new RecordingFeed();
    try (RedisBackend writer = node.get().build();
        Chord a = Chord.builder().backend(writer).build();
        RedisBackend subscriber = node.get().subscriptionCheckInterval(INTERVAL).build()) {
      a.setContext(before, Map.of("n", 0));
      a.updateContext(before, Map.of("n", 1));
      try (AutoCloseable beforeSubscription = subscriber.subscribe(before, beforeFeed);
          AutoCloseable heardSubscription = subscriber.subscribe(heard, heardFeed);
          AutoCloseable behindSubscription = subscriber.subscribe(behind, behindFeed)) {
        a.setContext(behind, Map.of("n", 0));
        behindFeed.awaitEvent("delta 1", 20);
        for (int i = 0; i < 3; i++) {
          a.setContext(heard, Map.of("n", i));
        }
        heardFeed.awaitEvent("delta 3", 20);

        for (int round = 0; round < 2; round++) {
          commitUnheard(writer, behind, Map.of("round", round));
          assertThat(behindFeed.awaitEvent("reset -1", 20)).isEmpty();
        }

        assertThat(behindFeed.epochs()).hasSize(3);
        assertThat(heardFeed.epochs()).as("events of the context that heard everything").hasSize(3);
        // A cluster may still forward a message published before the subscription (a repeat):
        // what the checks would send is a reset without epoch.
        assertThat(beforeFeed.epochsOf("reset -1"))
            .as("resets of the context written before")
            .isEmpty();
      }
    }
  }

  @Test
  void interval_zeroTurnsChecksOff_outsideTenMillisecondsToADayIsRefused() {
    RedisBackend.Builder builder = RedisBackend.builder(RedisServers.standalone());
    assertThat(builder.subscriptionCheckInterval(Duration.ZERO)).isSameAs(builder);
    assertThat(builder.subscriptionCheckInterval(Duration.ofMillis(10))).isSameAs(builder);
    assertThat(builder.subscriptionCheckInterval(Duration.ofDays(1))).isSameAs(builder);
    for (Duration refused :
        new Duration[] {
          Duration.ofMillis(-1), Duration.ofNanos(1), Duration.ofMillis(9), Duration.ofDays(2)
        }) {
      assertThatThrownBy(() -> builder.subscriptionCheckInterval(refused))
          .as(refused.toString())
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  /** Commits {@code data} on top of the stored context, publishing on a channel nobody hears. */
  private static void commitUnheard(RedisBackend writer, String id, Map<String, Object> data) {
    Context base = writer.get(id).orElseThrow();
    Context next = new Context(id, base.version() + 1, Snapshots.freeze(data), 0, base.epoch());
    Commit commit = new Commit(next, RedisEpochIT.deltaOf(base.data(), next), base.version(), 100);
    assertCommitted(
        id,
        unheard(
            writer, writer.commitCall(commit, LeafLayout.of(commit.delta()), base, base.epoch())));
  }

  /** Creates the context anew with {@code data}, publishing on a channel nobody hears. */
  private static void createUnheard(RedisBackend writer, String id, Map<String, Object> data) {
    Context created = new Context(id, 1, Snapshots.freeze(data), 0, Epochs.next());
    Commit commit = new Commit(created, RedisEpochIT.deltaOf(Map.of(), created), 0, 100);
    assertCommitted(
        id, unheard(writer, writer.commitCall(commit, LeafLayout.of(commit.delta()), null, null)));
  }

  /** Deletes the context, publishing its reset on a channel nobody hears. */
  private static void deleteUnheard(RedisBackend writer, String id) {
    assertThat(
            Replies.deleted(
                unheard(writer, new ScriptCall(ScriptCall.Op.DELETE, new Keys(PREFIX).of(id)))))
        .as("deleted")
        .isTrue();
  }

  /** Runs {@code call} with its channel message sent where no subscriber listens. */
  private static List<Object> unheard(RedisBackend writer, ScriptCall call) {
    return writer.run(call.channel(call.keys()[0] + ":unheard"));
  }

  private static void assertCommitted(String id, List<Object> reply) {
    assertThat(Replies.commit(id, reply)).isInstanceOf(Replies.Committed.class);
  }
}
