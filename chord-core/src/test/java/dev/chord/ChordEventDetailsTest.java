package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.ChordEvent.FullReason;
import dev.chord.ChordEvent.Operation;
import dev.chord.ChordEvent.Outcome;
import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ForwardingBackend;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The details an event carries: why a sync was Full, a commit's changes and its retries. */
class ChordEventDetailsTest {
  private final List<ChordEvent> events = new CopyOnWriteArrayList<>();

  /** Before each of the next {@code interlopers} commits, another writer commits first. */
  private final AtomicInteger interlopers = new AtomicInteger();

  private final InMemoryBackend storage = InMemoryBackend.create();
  private Chord other;
  private final Chord chord =
      Chord.builder()
          .deltaThreshold(3)
          .backend(
              new ForwardingBackend(storage) {
                @Override
                public CommitResult commit(Commit commit) {
                  if (interlopers.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    other.updateContext(commit.contextId(), Map.of("other", System.nanoTime()));
                  }
                  return super.commit(commit);
                }
              })
          .listener(events::add)
          .build();

  ChordEventDetailsTest() {
    other = Chord.builder().backend(new ForwardingBackend(storage) {}).build();
  }

  @AfterEach
  void close() {
    chord.close();
    other.close();
  }

  private ChordEvent last() {
    return events.get(events.size() - 1);
  }

  private FullReason fullReasonOf(Runnable sync) {
    sync.run();
    ChordEvent event = last();
    assertThat(event.operation()).isEqualTo(Operation.SYNC);
    assertThat(event.outcome()).isEqualTo(Outcome.FULL);
    return event.fullReason();
  }

  @Test
  void sync_full_namesEachReason() {
    chord.setContext("room", Map.of("a", 1));
    String epoch = chord.getContext("room").orElseThrow().epoch();

    assertThat(fullReasonOf(() -> chord.syncContext("room", null)))
        .isEqualTo(FullReason.NO_VERSION);
    assertThat(fullReasonOf(() -> chord.syncContext("room", 1, "otherEpoch000001")))
        .isEqualTo(FullReason.OTHER_EPOCH);
    assertThat(fullReasonOf(() -> chord.syncContext("room", 7, epoch))).isEqualTo(FullReason.AHEAD);
    for (int i = 2; i <= 6; i++) {
      chord.updateContext("room", Map.of("a", i));
    }
    assertThat(fullReasonOf(() -> chord.syncContext("room", 1L)))
        .isEqualTo(FullReason.TOO_FAR_BEHIND);
    chord.cleanup(); // nothing old enough: the last three deltas stay
    storage.deleteDeltasBefore("room", Long.MAX_VALUE);
    assertThat(fullReasonOf(() -> chord.syncContext("room", 5, epoch)))
        .isEqualTo(FullReason.HISTORY_GAP);
  }

  @Test
  void sync_patchOrNoChange_hasNoReason() {
    chord.setContext("room", Map.of("a", 1));
    chord.updateContext("room", Map.of("a", 2));
    chord.syncContext("room", 1L);
    assertThat(last().outcome()).isEqualTo(Outcome.PATCH);
    assertThat(last().fullReason()).isNull();
    chord.syncContext("room", 2L);
    assertThat(last().outcome()).isEqualTo(Outcome.NO_CHANGE);
    assertThat(last().fullReason()).isNull();
  }

  @Test
  void write_ok_countsTheChangesOfItsDelta() {
    chord.setContext("room", Map.of("a", 1, "b", Map.of("c", 2, "d", 3)));
    assertThat(last().changes()).as("a, and b as a whole: it is new").isEqualTo(2);
    chord.updateContext("room", Map.of("b", Map.of("c", 5, "e", 6)));
    assertThat(last().changes()).as("b.c and b.e").isEqualTo(2);
    chord.updateContext("room", Map.of("b", Map.of("c", 5)));
    assertThat(last().outcome()).isEqualTo(Outcome.UNCHANGED);
    assertThat(last().changes()).isZero();
  }

  @Test
  void write_lostToOtherWriters_countsRetries() {
    chord.setContext("room", Map.of("a", 1));
    assertThat(last().commitRetries()).isZero();
    interlopers.set(2);
    chord.updateContext("room", Map.of("a", 2));
    ChordEvent event = last();
    assertThat(event.outcome()).isEqualTo(Outcome.OK);
    assertThat(event.commitRetries()).isEqualTo(2);
    assertThat(chord.getContext("room").orElseThrow().version()).isEqualTo(4);
  }

  @Test
  void conditionalWrite_conflictAfterRetry_reportsTheRetry() {
    chord.setContext("room", Map.of("a", 1));
    interlopers.set(1);
    assertThatThrownBy(() -> chord.updateContext("room", Map.of("a", 2), 1))
        .isInstanceOf(VersionConflictException.class);
    assertThat(last().outcome()).isEqualTo(Outcome.CONFLICT);
    assertThat(last().commitRetries()).isEqualTo(1);
    assertThat(last().changes()).isZero();
  }

  @Test
  void fiveArgumentConstructor_hasNoDetails() {
    ChordEvent event = new ChordEvent(Operation.GET, "x", Duration.ZERO, Outcome.OK, null);
    assertThat(event.fullReason()).isNull();
    assertThat(event.changes()).isZero();
    assertThat(event.commitRetries()).isZero();
    assertThatThrownBy(
            () -> new ChordEvent(Operation.GET, "x", Duration.ZERO, Outcome.OK, null, null, -1, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
