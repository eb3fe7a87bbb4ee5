package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.memory.InMemoryBackend;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** exportContext and restoreContext. */
class ChordExportRestoreTest {
  private final MutableClock clock = MutableClock.start();
  private final InMemoryBackend backend = InMemoryBackend.create();

  @Test
  void exportContext_noExporter_configurationException() {
    try (Chord chord = Chord.builder().backend(backend).build()) {
      chord.setContext("room", Map.of());
      assertThatThrownBy(() -> chord.exportContext("room"))
          .isInstanceOf(ChordConfigurationException.class)
          .hasMessageContaining("exporter");
    }
  }

  @Test
  void restoreContext_noProvider_configurationExceptionAndNothingStored() {
    try (Chord chord = Chord.builder().backend(backend).build()) {
      assertThatThrownBy(() -> chord.restoreContext("room"))
          .isInstanceOf(ChordConfigurationException.class)
          .hasMessageContaining("provider");
      assertThat(chord.getContext("room")).isEmpty();
    }
  }

  @Test
  void exportContext_existing_handsCurrentContextToExporter() {
    List<Context> exported = new ArrayList<>();
    try (Chord chord = Chord.builder().backend(backend).exporter(exported::add).build()) {
      chord.setContext("room", Map.of("a", 1));
      Context current = chord.updateContext("room", Map.of("b", 2)).context();
      chord.exportContext("room");
      assertThat(exported).containsExactly(current);
    }
  }

  @Test
  void exportContext_absent_notFoundAndExporterNotCalled() {
    List<Context> exported = new ArrayList<>();
    try (Chord chord = Chord.builder().backend(backend).exporter(exported::add).build()) {
      assertThatThrownBy(() -> chord.exportContext("ghost"))
          .isInstanceOf(ContextNotFoundException.class);
      assertThat(exported).isEmpty();
    }
  }

  @Test
  void exportContext_exporterThrows_chordExceptionWithCauseAndBackendUnchanged() {
    IOException failure = new IOException("disk full");
    try (Chord chord =
        Chord.builder()
            .backend(backend)
            .exporter(
                c -> {
                  throw failure;
                })
            .build()) {
      Context current = chord.setContext("room", Map.of("a", 1)).context();
      assertThatThrownBy(() -> chord.exportContext("room"))
          .isExactlyInstanceOf(ChordException.class)
          .hasCause(failure)
          .hasMessageContaining("room");
      assertThat(chord.getContext("room")).contains(current);
    }
  }

  @Test
  void restoreContext_providerHasContext_storedAtItsVersionWithInsertedAtFromClock() {
    Map<String, Object> data = new HashMap<>(Map.of("topic", "x", "n", 3, "m", Map.of("k", 1.5f)));
    try (Chord chord =
        Chord.builder()
            .backend(backend)
            .clock(clock)
            .externalProvider(id -> Optional.of(new Context(id, 42, data, 7)))
            .build()) {
      chord.setContext("room", Map.of("old", true));
      chord.updateContext("room", Map.of("old", false));
      clock.advance(Duration.ofHours(2));
      Context restored = chord.restoreContext("room");
      Map<String, Object> normalized = Map.of("topic", "x", "n", 3L, "m", Map.of("k", 1.5d));
      assertThat(restored)
          .isEqualTo(
              new Context(
                  "room", 42, normalized, clock.instant().getEpochSecond(), restored.epoch()));
      assertThat(chord.getContext("room")).contains(restored);
      Unmodifiable.assertDeeplyUnmodifiable(restored.data());
      data.put("topic", "changed later"); // the provider's map is copied
      assertThat(chord.getContext("room").orElseThrow().data()).isEqualTo(normalized);
      // Older deltas are dropped: every older client gets the whole context.
      assertThat(backend.history("room", 0, Integer.MAX_VALUE).orElseThrow().deltas()).isEmpty();
      assertThat(chord.syncContext("room", 1L)).isEqualTo(new SyncResult.Full(restored));
      assertThat(chord.syncContext("room", 2L)).isEqualTo(new SyncResult.Full(restored));
      assertThat(chord.syncContext("room", 0L)).isEqualTo(new SyncResult.Full(restored));
      assertThat(chord.updateContext("room", Map.of("n", 4)).context().version()).isEqualTo(43);
    }
  }

  @Test
  void restoreContext_absentBefore_createsIt() {
    try (Chord chord =
        Chord.builder()
            .backend(backend)
            .externalProvider(id -> Optional.of(new Context(id, 5, Map.of("a", 1), 0)))
            .build()) {
      assertThat(chord.restoreContext("room").version()).isEqualTo(5);
      assertThat(chord.getContext("room").orElseThrow().version()).isEqualTo(5);
    }
  }

  @Test
  void restoreContext_providerEmpty_notFoundAndBackendUnchanged() {
    try (Chord chord =
        Chord.builder().backend(backend).externalProvider(id -> Optional.empty()).build()) {
      Context current = chord.setContext("room", Map.of("a", 1)).context();
      assertThatThrownBy(() -> chord.restoreContext("room"))
          .isInstanceOf(ContextNotFoundException.class)
          .hasMessageContaining("room");
      assertThat(chord.getContext("room")).contains(current);
      assertThat(chord.syncContext("room", 0L)).isInstanceOf(SyncResult.Patch.class);
      assertThatThrownBy(() -> chord.restoreContext("ghost"))
          .isInstanceOf(ContextNotFoundException.class);
      assertThat(chord.getContext("ghost")).isEmpty();
    }
  }

  @Test
  void restoreContext_providerReturnsNullOptional_notFound() {
    try (Chord chord = Chord.builder().backend(backend).externalProvider(id -> null).build()) {
      assertThatThrownBy(() -> chord.restoreContext("room"))
          .isInstanceOf(ContextNotFoundException.class);
    }
  }

  @Test
  void restoreContext_providerThrows_chordExceptionWithCauseAndBackendUnchanged() {
    IOException failure = new IOException("store down");
    try (Chord chord =
        Chord.builder()
            .backend(backend)
            .externalProvider(
                id -> {
                  throw failure;
                })
            .build()) {
      Context current = chord.setContext("room", Map.of("a", 1)).context();
      assertThatThrownBy(() -> chord.restoreContext("room"))
          .isExactlyInstanceOf(ChordException.class)
          .hasCause(failure)
          .hasMessageContaining("room");
      assertThat(chord.getContext("room")).contains(current);
      assertThat(backend.history("room", 0, 10).orElseThrow().deltas()).hasSize(1);
    }
  }

  @Test
  void restoreContext_providerReturnsBadContext_chordExceptionAndBackendUnchanged() {
    AtomicReference<Context> answer = new AtomicReference<>();
    try (Chord chord =
        Chord.builder()
            .backend(backend)
            .externalProvider(id -> Optional.of(answer.get()))
            .build()) {
      Context current = chord.setContext("room", Map.of("a", 1)).context();
      answer.set(new Context("other", 3, Map.of(), 0));
      assertThatThrownBy(() -> chord.restoreContext("room"))
          .isExactlyInstanceOf(ChordException.class)
          .hasMessageContaining("other");
      answer.set(new Context("room", 0, Map.of(), 0));
      assertThatThrownBy(() -> chord.restoreContext("room"))
          .isExactlyInstanceOf(ChordException.class)
          .hasMessageContaining("version 0");
      answer.set(new Context("room", 3, Map.of("bad", new Object()), 0));
      assertThatThrownBy(() -> chord.restoreContext("room"))
          .isExactlyInstanceOf(ChordException.class)
          .hasMessageContaining("/bad")
          .hasCauseInstanceOf(IllegalArgumentException.class);
      assertThat(chord.getContext("room")).contains(current);
    }
  }
}
