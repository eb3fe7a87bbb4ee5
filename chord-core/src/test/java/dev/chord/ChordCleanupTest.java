package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.chord.memory.InMemoryBackend;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.Test;

/** cleanup(): delta TTL, context TTL with auto-delete, limited round-robin passes, time units. */
class ChordCleanupTest {
  private final MutableClock clock = MutableClock.start();
  private final InMemoryBackend backend = InMemoryBackend.create();

  private Chord.Builder builder() {
    return Chord.builder().backend(backend).clock(clock).deltaTtl(Duration.ofMinutes(10));
  }

  private List<Long> storedVersions(String id) {
    return backend.history(id, 0, Integer.MAX_VALUE).orElseThrow().deltas().stream()
        .map(DeltaRecord::version)
        .toList();
  }

  @Test
  void cleanup_deltasOlderThanTtl_droppedAndCounted() {
    try (Chord chord = builder().build()) {
      chord.setContext("a", Map.of("n", 1)); // minute 0
      chord.setContext("b", Map.of("n", 1));
      clock.advance(Duration.ofMinutes(5));
      chord.updateContext("a", Map.of("n", 2)); // minute 5
      clock.advance(Duration.ofMinutes(6)); // minute 11: the minute-0 deltas are expired
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 2));
      assertThat(storedVersions("a")).containsExactly(2L);
      assertThat(storedVersions("b")).isEmpty();
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 0));
      // The contexts stay: without contextAutoDelete only deltas go.
      assertThat(chord.getContext("a").orElseThrow().version()).isEqualTo(2);
      assertThat(chord.getContext("b").orElseThrow().version()).isEqualTo(1);
      assertThat(chord.syncContext("b", 0L)).isInstanceOf(SyncResult.Full.class);
    }
  }

  @Test
  void cleanup_deltaExactlyTtlOld_kept() {
    try (Chord chord = builder().build()) {
      chord.setContext("a", Map.of());
      clock.advance(Duration.ofMinutes(10));
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 0));
      clock.advance(Duration.ofSeconds(1));
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 1));
    }
  }

  @Test
  void cleanup_contextTtlWithAutoDelete_deletesIdleContextsOnly() {
    try (Chord chord = builder().contextTtl(Duration.ofHours(1)).contextAutoDelete(true).build()) {
      chord.setContext("idle", Map.of("n", 1));
      chord.updateContext("idle", Map.of("n", 2));
      chord.setContext("busy", Map.of("n", 1));
      clock.advance(Duration.ofMinutes(59));
      chord.updateContext("busy", Map.of("n", 2));
      clock.advance(Duration.ofMinutes(2)); // idle: 61 min, busy: 2 min
      CleanupReport report = chord.cleanup();
      // idle's two deltas go with it and are not counted; busy's minute-0 delta expired.
      assertThat(report).isEqualTo(new CleanupReport(1, 1));
      assertThat(chord.getContext("idle")).isEmpty();
      assertThat(backend.history("idle", 0, 10)).isEmpty();
      assertThat(chord.getContext("busy")).isPresent();
      assertThat(storedVersions("busy")).containsExactly(2L);
    }
  }

  @Test
  void cleanup_contextUpdatedAfterListing_notDeleted() {
    HookedBackend racy = new HookedBackend();
    try (Chord chord =
        Chord.builder()
            .backend(racy)
            .clock(clock)
            .contextTtl(Duration.ofHours(1))
            .contextAutoDelete(true)
            .build()) {
      chord.setContext("idle", Map.of("n", 1));
      clock.advance(Duration.ofHours(2));
      // Listed as idle, then written to before cleanup acts on the listing.
      racy.afterList = () -> chord.updateContext("idle", Map.of("n", 2));
      CleanupReport report = chord.cleanup();
      assertThat(report.contextsDeleted()).isZero();
      assertThat(chord.getContext("idle").orElseThrow().version()).isEqualTo(2);
    }
  }

  /**
   * Lists "idle" as expired at version 1, then runs {@code replace} (which puts another incarnation
   * at version 1 there) before cleanup acts on the listing.
   */
  private void assertReplacedAfterListingIsKept(Runnable replaceOnce) {
    HookedBackend racy = new HookedBackend(backend);
    try (Chord chord =
        builder().backend(racy).contextTtl(Duration.ofHours(1)).contextAutoDelete(true).build()) {
      Context old = chord.setContext("idle", Map.of("n", 1)).context();
      clock.advance(Duration.ofHours(2));
      racy.afterList =
          () -> {
            racy.afterList = () -> {};
            replaceOnce.run();
          };

      CleanupReport report = chord.cleanup();

      Context now = chord.getContext("idle").orElseThrow();
      assertThat(now.version()).isEqualTo(old.version());
      assertThat(now.epoch()).isNotEqualTo(old.epoch());
      assertThat(report.contextsDeleted()).isZero();
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 0));
      assertThat(chord.getContext("idle")).contains(now);
    }
  }

  @Test
  void cleanup_contextDeletedAndCreatedAgainAfterListing_newOneNotDeleted() {
    try (Chord other = builder().build()) {
      assertReplacedAfterListingIsKept(
          () -> {
            other.deleteContext("idle");
            other.setContext("idle", Map.of("n", "new"));
          });
    }
  }

  @Test
  void cleanup_contextRestoredAtTheSameVersionAfterListing_restoredOneNotDeleted() {
    try (Chord other =
        builder()
            .externalProvider(id -> Optional.of(new Context(id, 1, Map.of("r", 1), 0)))
            .build()) {
      assertReplacedAfterListingIsKept(() -> other.restoreContext("idle"));
    }
  }

  @Test
  void cleanup_contextTtlWithoutAutoDelete_keepsContexts() {
    try (Chord chord = builder().contextTtl(Duration.ofMinutes(1)).build()) {
      chord.setContext("idle", Map.of());
      clock.advance(Duration.ofDays(3));
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 1));
      assertThat(chord.getContext("idle")).isPresent();
    }
  }

  @Test
  void builder_autoDeleteWithoutContextTtl_rejected() {
    assertThatThrownBy(() -> builder().contextAutoDelete(true).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("contextTtl");
  }

  @Test
  void cleanupLimit_repeatedCalls_coverEveryContextRoundRobin() {
    try (Chord chord = builder().build()) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        ids.add("c" + i);
        chord.setContext("c" + i, Map.of("n", i));
      }
      clock.advance(Duration.ofHours(1)); // every creation delta is expired
      // 7 contexts, 3 per pass: 3, 3, then the last one; then the cycle starts over.
      assertThat(chord.cleanup(3).deltasDeleted()).isEqualTo(3);
      assertThat(chord.cleanup(3).deltasDeleted()).isEqualTo(3);
      assertThat(chord.cleanup(3).deltasDeleted()).isEqualTo(1);
      for (String id : ids) {
        assertThat(storedVersions(id)).as(id).isEmpty();
      }
      // Second round: each context gets one expired delta; the passes start from the beginning.
      for (String id : ids) {
        chord.updateContext(id, Map.of("again", true));
      }
      clock.advance(Duration.ofHours(1));
      long total = 0;
      for (int pass = 0; pass < 3; pass++) {
        total += chord.cleanup(3).deltasDeleted();
      }
      assertThat(total).isEqualTo(7);
    }
  }

  @Test
  void cleanupLimit_contextsDeletedOrAddedBetweenPasses_stillCoversAll() {
    try (Chord chord = builder().build()) {
      for (String id : List.of("a", "b", "c", "d", "e")) {
        chord.setContext(id, Map.of());
      }
      clock.advance(Duration.ofHours(1));
      assertThat(chord.cleanup(2).deltasDeleted()).isEqualTo(2); // a, b
      chord.deleteContext("b"); // the cursor's context disappears
      chord.setContext("bb", Map.of()); // appears after the cursor, fresh
      chord.setContext("0", Map.of()); // appears before the cursor, fresh
      clock.advance(Duration.ofHours(1));
      // c, bb... in id order after "b": bb, c, d, e; then the wrap to the start: 0, a
      long total = 0;
      for (int pass = 0; pass < 3; pass++) {
        total += chord.cleanup(2).deltasDeleted();
      }
      // bb, c, d, e in the first two passes, then 0 and a (a has nothing left).
      assertThat(total).isEqualTo(5);
      for (String id : List.of("0", "a", "bb", "c", "d", "e")) {
        assertThat(storedVersions(id)).as(id).isEmpty();
      }
    }
  }

  @Test
  void cleanupLimit_largerThanContextCount_coversAllInOnePass() {
    try (Chord chord = builder().build()) {
      for (int i = 0; i < 5; i++) {
        chord.setContext("c" + i, Map.of());
      }
      clock.advance(Duration.ofHours(1));
      assertThat(chord.cleanup(100)).isEqualTo(new CleanupReport(0, 5));
      assertThat(chord.cleanup(1)).isEqualTo(new CleanupReport(0, 0));
    }
  }

  @Test
  void cleanupLimit_belowOne_rejected() {
    try (Chord chord = builder().build()) {
      assertThatThrownBy(() -> chord.cleanup(0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("0");
    }
  }

  @Test
  void cleanup_manyContexts_pagesThroughAll() {
    try (Chord chord = builder().build()) {
      for (int i = 0; i < 2500; i++) {
        chord.setContext("c" + i, Map.of());
      }
      clock.advance(Duration.ofHours(1));
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 2500));
    }
  }

  @Test
  void cleanupInterval_set_cleansInTheBackground() {
    try (Chord chord = builder().cleanupInterval(Duration.ofMillis(20)).build()) {
      chord.setContext("a", Map.of());
      clock.advance(Duration.ofHours(1));
      await().atMost(Duration.ofSeconds(30)).until(() -> storedVersions("a").isEmpty());
      assertThat(chord.getContext("a")).isPresent();
    }
  }

  @Test
  void cleanupScheduler_given_cleanupRunsThereAndCloseLeavesItRunning() throws Exception {
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    scheduler.setRemoveOnCancelPolicy(true);
    try {
      Chord chord =
          builder().cleanupInterval(Duration.ofMillis(20)).cleanupScheduler(scheduler).build();
      chord.setContext("a", Map.of());
      clock.advance(Duration.ofHours(1));
      await().atMost(Duration.ofSeconds(30)).until(() -> storedVersions("a").isEmpty());
      assertThat(scheduler.getQueue()).hasSize(1);

      chord.close();

      assertThat(scheduler.isShutdown()).isFalse();
      assertThat(scheduler.getQueue()).isEmpty();
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void cleanupScheduler_withoutInterval_isRefused() {
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    try {
      assertThatThrownBy(() -> builder().cleanupScheduler(scheduler).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cleanupInterval");
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void timeUnit_seconds_insertedAtInEpochSeconds() {
    clock.advance(Duration.ofMillis(1234));
    try (Chord chord = builder().timeUnit(ChronoUnit.SECONDS).build()) {
      long insertedAt = chord.setContext("a", Map.of()).context().insertedAt();
      assertThat(insertedAt).isEqualTo(clock.instant().getEpochSecond());
    }
  }

  @Test
  void timeUnit_default_isSeconds() {
    try (Chord chord = builder().build()) {
      assertThat(chord.setContext("a", Map.of()).context().insertedAt())
          .isEqualTo(clock.instant().getEpochSecond());
    }
  }

  @Test
  void timeUnit_millis_insertedAtAndTtlInMillis() {
    clock.advance(Duration.ofMillis(1234));
    try (Chord chord =
        builder().timeUnit(ChronoUnit.MILLIS).deltaTtl(Duration.ofMillis(1500)).build()) {
      ContextUpdate created = chord.setContext("a", Map.of());
      assertThat(created.context().insertedAt()).isEqualTo(clock.millis());
      assertThat(created.deltaRecord().insertedAt()).isEqualTo(clock.millis());
      clock.advance(Duration.ofMillis(1500));
      assertThat(chord.cleanup().deltasDeleted()).isZero();
      clock.advance(Duration.ofMillis(1));
      assertThat(chord.cleanup().deltasDeleted()).isEqualTo(1);
    }
  }

  @Test
  void timeUnit_other_rejected() {
    assertThatThrownBy(() -> Chord.builder().timeUnit(ChronoUnit.HOURS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("HOURS");
  }
}
