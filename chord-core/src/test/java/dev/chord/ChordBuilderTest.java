package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Builder defaults and validation: bad values are rejected where they are set, by name. */
class ChordBuilderTest {

  @Test
  void deltaThreshold_belowOne_rejectedNamingValue() {
    assertThatThrownBy(() -> Chord.builder().deltaThreshold(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("deltaThreshold must be at least 1, was 0");
    assertThatThrownBy(() -> Chord.builder().deltaThreshold(-3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-3");
  }

  @Test
  void durations_zeroOrNegative_rejectedNamingSetting() {
    assertThatThrownBy(() -> Chord.builder().deltaTtl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("deltaTtl")
        .hasMessageContaining("PT0S");
    assertThatThrownBy(() -> Chord.builder().contextTtl(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("contextTtl");
    assertThatThrownBy(() -> Chord.builder().cleanupInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cleanupInterval");
  }

  @Test
  void nulls_rejectedNamingSetting() {
    assertThatThrownBy(() -> Chord.builder().backend(null)).hasMessageContaining("backend");
    assertThatThrownBy(() -> Chord.builder().clock(null)).hasMessageContaining("clock");
    assertThatThrownBy(() -> Chord.builder().deltaTtl(null)).hasMessageContaining("deltaTtl");
    assertThatThrownBy(() -> Chord.builder().exporter(null)).hasMessageContaining("exporter");
    assertThatThrownBy(() -> Chord.builder().externalProvider(null))
        .hasMessageContaining("provider");
    assertThatThrownBy(() -> Chord.builder().formatter(null)).hasMessageContaining("formatter");
    assertThatThrownBy(() -> Chord.builder().listener(null)).hasMessageContaining("listener");
    assertThatThrownBy(() -> Chord.builder().timeUnit(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeUnit");
  }

  @Test
  void defaults_threshold100AndChordFormatter() {
    try (Chord chord = Chord.inMemory()) {
      assertThat(chord.deltaThreshold()).isEqualTo(100);
      assertThat(chord.formatter()).isSameAs(DeltaFormatters.chord());
      for (int i = 1; i <= 150; i++) {
        chord.setContext("c", Map.of("n", i));
      }
      assertThat(chord.syncContext("c", 50L)).isInstanceOf(SyncResult.Patch.class);
      assertThat(chord.syncContext("c", 49L)).isInstanceOf(SyncResult.Full.class);
    }
  }

  @Test
  void defaults_deltaTtl24HoursAndNoContextDeletion() {
    MutableClock clock = MutableClock.start();
    try (Chord chord = Chord.builder().clock(clock).build()) {
      chord.setContext("c", Map.of());
      clock.advance(Duration.ofHours(24));
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 0));
      clock.advance(Duration.ofSeconds(1));
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 1));
      clock.advance(Duration.ofDays(365));
      assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 0));
      assertThat(chord.getContext("c")).isPresent();
    }
  }

  @Test
  void subscribe_nullListener_rejected() {
    try (Chord chord = Chord.inMemory()) {
      assertThatThrownBy(() -> chord.subscribe("c", (Consumer<DeltaRecord>) null))
          .hasMessageContaining("listener");
      assertThatThrownBy(() -> chord.subscribe("c", (ContextListener) null))
          .hasMessageContaining("listener");
    }
  }
}
