package dev.chord.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The counts behind the in-memory backend's gauges follow every kind of write. */
class InMemoryBackendCountsTest {
  private final InMemoryBackend backend = InMemoryBackend.create();

  @Test
  void counts_followCommitsTrimsDeletesRestoresAndCleanup() {
    try (Chord chord =
        Chord.builder()
            .backend(backend)
            .deltaThreshold(3)
            .externalProvider(
                id -> java.util.Optional.of(new dev.chord.Context(id, 9, Map.of("r", 1), 0)))
            .build()) {
      assertThat(backend.contextCount()).isZero();
      assertThat(backend.deltaCount()).isZero();

      chord.setContext("a", Map.of("v", 1));
      chord.setContext("b", Map.of("v", 1));
      assertThat(backend.contextCount()).isEqualTo(2);
      assertThat(backend.deltaCount()).isEqualTo(2);

      for (int i = 2; i <= 6; i++) {
        chord.updateContext("a", Map.of("v", i));
      }
      assertThat(backend.deltaCount()).as("a keeps 3, b 1").isEqualTo(4);

      chord.setContext("b", Map.of("v", 1)); // unchanged: nothing stored
      assertThat(backend.deltaCount()).isEqualTo(4);

      chord.deleteContext("a");
      assertThat(backend.contextCount()).isEqualTo(1);
      assertThat(backend.deltaCount()).isEqualTo(1);

      chord.restoreContext("b"); // replaces b and its history
      chord.restoreContext("c"); // a new one
      assertThat(backend.contextCount()).isEqualTo(2);
      assertThat(backend.deltaCount()).isZero();

      chord.updateContext("c", Map.of("v", 2));
      assertThat(backend.deltaCount()).isEqualTo(1);
      backend.deleteDeltasBefore("c", Long.MAX_VALUE);
      assertThat(backend.deltaCount()).isZero();
      assertThat(listed()).isEqualTo(backend.contextCount());
    }
  }

  private long listed() {
    return backend.listContexts(null, 1000).contexts().size();
  }
}
