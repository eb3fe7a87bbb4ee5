package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.ContextInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one store, one configured with seconds and one with milliseconds: the store keeps
 * milliseconds, each node reads every time in its own unit, and TTLs mean the same on both.
 */
class ChordTimeUnitTest {
  private static final Instant START = Instant.parse("2026-01-01T10:00:00.123Z");
  private final MutableClock clock = new MutableClock(START);
  private final InMemoryBackend shared = InMemoryBackend.create();
  private final Chord seconds = node(ChronoUnit.SECONDS);
  private final Chord millis = node(ChronoUnit.MILLIS);

  private Chord node(ChronoUnit unit) {
    return Chord.builder()
        .backend(new HookedBackend(shared))
        .clock(clock)
        .timeUnit(unit)
        .contextTtl(Duration.ofHours(1))
        .contextAutoDelete(true)
        .deltaTtl(Duration.ofMinutes(30))
        .externalProvider(id -> Optional.of(new Context(id, 5, Map.of("r", 1), 0)))
        .build();
  }

  @AfterEach
  void close() {
    seconds.close();
    millis.close();
  }

  private static long secondsOf(Instant at) {
    return at.getEpochSecond();
  }

  @Test
  void writtenBySecondsNode_readRightByBoth() {
    Instant at = clock.instant();
    ContextUpdate written = seconds.setContext("room", Map.of("a", 1));

    assertThat(written.context().insertedAt()).isEqualTo(secondsOf(at));
    assertThat(shared.get("room").orElseThrow().insertedAt()).isEqualTo(at.toEpochMilli());
    assertThat(millis.getContext("room").orElseThrow().insertedAt()).isEqualTo(at.toEpochMilli());
    assertThat(seconds.getContext("room").orElseThrow().insertedAt()).isEqualTo(secondsOf(at));
    assertThat(((SyncResult.Patch) millis.syncContext("room", 0L)).insertedAt())
        .isEqualTo(at.toEpochMilli());
    assertThat(((SyncResult.Patch) seconds.syncContext("room", 0L)).insertedAt())
        .isEqualTo(secondsOf(at));
  }

  @Test
  void writtenByMillisNode_readRightByBoth() {
    clock.advance(Duration.ofMillis(1_999));
    Instant at = clock.instant();
    ContextUpdate written = millis.setContext("room", Map.of("a", 1));

    assertThat(written.context().insertedAt()).isEqualTo(at.toEpochMilli());
    assertThat(written.deltaRecord().insertedAt()).isEqualTo(at.toEpochMilli());
    assertThat(shared.get("room").orElseThrow().insertedAt()).isEqualTo(at.toEpochMilli());
    assertThat(seconds.getContext("room").orElseThrow().insertedAt()).isEqualTo(secondsOf(at));
    SyncResult.Full full = (SyncResult.Full) seconds.syncContext("room", (Long) null);
    assertThat(full.context().insertedAt()).isEqualTo(secondsOf(at));
  }

  @Test
  void subscribersAndRestores_getTimesInTheirOwnUnit() {
    List<Long> secondsSeen = new CopyOnWriteArrayList<>();
    List<Long> millisSeen = new CopyOnWriteArrayList<>();
    List<Long> resetsInMillis = new CopyOnWriteArrayList<>();
    try (Subscription s = seconds.subscribe("room", r -> secondsSeen.add(r.insertedAt()));
        Subscription m =
            millis.subscribe(
                "room",
                new ContextListener() {
                  @Override
                  public void onDelta(DeltaRecord record) {
                    millisSeen.add(record.insertedAt());
                  }

                  @Override
                  public void onReset(Optional<Context> current) {
                    resetsInMillis.add(current.orElseThrow().insertedAt());
                  }
                })) {
      Instant created = clock.instant();
      millis.setContext("room", Map.of("a", 1));
      clock.advance(Duration.ofMillis(2_500));
      Instant updated = clock.instant();
      seconds.updateContext("room", Map.of("a", 2));
      clock.advance(Duration.ofMillis(700));
      Instant restoredAt = clock.instant();
      Context restored = seconds.restoreContext("room");

      assertThat(secondsSeen).containsExactly(secondsOf(created), secondsOf(updated));
      assertThat(millisSeen).containsExactly(created.toEpochMilli(), updated.toEpochMilli());
      assertThat(restored.insertedAt()).isEqualTo(secondsOf(restoredAt));
      assertThat(resetsInMillis).containsExactly(restoredAt.toEpochMilli());
    }
  }

  @Test
  void millisNodeCleanup_keepsTheSecondsNodesFreshContexts() {
    seconds.setContext("fresh", Map.of("a", 1));
    clock.advance(Duration.ofMinutes(59));
    seconds.setContext("later", Map.of("a", 1));

    assertThat(millis.cleanup()).isEqualTo(new CleanupReport(0, 1));
    assertThat(millis.getContext("fresh")).isPresent();
    assertThat(millis.getContext("later")).isPresent();

    clock.advance(Duration.ofMinutes(2));
    assertThat(millis.cleanup()).isEqualTo(new CleanupReport(1, 0));
    assertThat(seconds.getContext("fresh")).isEmpty();
    assertThat(seconds.getContext("later")).isPresent();
  }

  @Test
  void secondsNodeCleanup_deletesTheMillisNodesIdleContextsInTime() {
    millis.setContext("idle", Map.of("a", 1));
    clock.advance(Duration.ofMinutes(31));
    assertThat(seconds.cleanup()).isEqualTo(new CleanupReport(0, 1));
    assertThat(seconds.getContext("idle")).isPresent();
    clock.advance(Duration.ofMinutes(30));
    assertThat(seconds.cleanup()).isEqualTo(new CleanupReport(1, 0));
    assertThat(millis.getContext("idle")).isEmpty();
  }

  @Test
  void listedTimes_areMilliseconds() {
    Instant at = clock.instant();
    seconds.setContext("room", Map.of());
    ContextInfo info = shared.listContexts(null, 10).contexts().get(0);
    assertThat(info.insertedAt()).isEqualTo(at.toEpochMilli());
  }
}
