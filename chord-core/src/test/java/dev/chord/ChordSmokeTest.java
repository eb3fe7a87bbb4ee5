package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChordSmokeTest {
  @Test
  void setUpdateSync_roundTrip() {
    try (Chord chord = Chord.inMemory()) {
      ContextUpdate created = chord.setContext("room", Map.of("a", 1, "p", Map.of("x", Map.of("s", "on"))));
      assertThat(created.context().version()).isEqualTo(1);
      ContextUpdate upd = chord.updateContext("room", Map.of("p", Map.of("x", Map.of("s", "off"))));
      assertThat(upd.context().version()).isEqualTo(2);
      assertThat(upd.delta().changes())
          .containsExactly(new Change(List.of("p", "x", "s"), Action.MODIFIED, "on", "off"));
      SyncResult sync = chord.syncContext("room", 0L);
      assertThat(sync).isInstanceOf(SyncResult.Patch.class);
      Map<String, Object> state = ((SyncResult.Patch) sync).delta().applyTo(Map.of());
      assertThat(state).isEqualTo(chord.getContext("room").orElseThrow().data());
      assertThat(state).isEqualTo(Map.of("a", 1L, "p", Map.of("x", Map.of("s", "off"))));
    }
  }
}
