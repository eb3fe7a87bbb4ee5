package dev.chord.filestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.SyncResult;
import dev.chord.memory.InMemoryBackend;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chord tiered onto a FileContextStore: eviction, restore on miss, a restart. */
class ChordFileStoreIT {
  @TempDir Path dir;

  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

  private final Clock clock =
      new Clock() {
        @Override
        public Instant instant() {
          return now.get();
        }

        @Override
        public ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          throw new UnsupportedOperationException();
        }
      };

  private Chord tiered(InMemoryBackend backend) {
    FileContextStore store = FileContextStore.create(dir);
    return Chord.builder()
        .backend(backend)
        .clock(clock)
        .exporter(store)
        .externalProvider(store)
        .exportOnChange(Duration.ofHours(1))
        .restoreOnMiss(true)
        .evictAfter(Duration.ofMinutes(30))
        .build();
  }

  @Test
  void evicted_comesBackWithEpochVersionAndValueTypes() {
    InMemoryBackend backend = InMemoryBackend.create();
    try (Chord chord = tiered(backend)) {
      chord.setContext("room", Map.of("price", new BigDecimal("10.50"), "big", Long.MAX_VALUE));
      Context held = chord.updateContext("room", Map.of("n", 1L)).context();
      now.updateAndGet(t -> t.plus(Duration.ofHours(1)));

      chord.cleanup();
      assertThat(backend.get("room")).isEmpty();

      assertThat(chord.syncContext("room", held.version(), held.epoch()))
          .isInstanceOf(SyncResult.NoChange.class);
      Context back = chord.getContext("room").orElseThrow();
      assertThat(back).isEqualTo(held);
      assertThat(((BigDecimal) back.data().get("price")).scale()).isEqualTo(2);
      assertThat(chord.updateContext("room", Map.of("n", 2L)).context().version())
          .isEqualTo(held.version() + 1);
    }
  }

  @Test
  void restart_contextsComeBackFromTheStoreUnderFreshEpochs() {
    Context held;
    try (Chord chord = tiered(InMemoryBackend.create())) {
      chord.setContext("room", Map.of("n", 1L));
      held = chord.updateContext("room", Map.of("n", 2L)).context();
    } // close() flushes the write-behind
    try (Chord restarted = tiered(InMemoryBackend.create())) {
      SyncResult sync = restarted.syncContext("room", held.version(), held.epoch());
      // The store may lag what clients saw before a restart: a fresh epoch, the full context.
      assertThat(sync).isInstanceOf(SyncResult.Full.class);
      Context back = ((SyncResult.Full) sync).context();
      assertThat(back.version()).isEqualTo(held.version());
      assertThat(back.data()).isEqualTo(held.data());
      assertThat(back.epoch()).isNotEqualTo(held.epoch());
    }
  }
}
