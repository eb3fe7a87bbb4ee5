package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A listener that read the context before subscribing, while another writer committed in between,
 * is brought to the stored state by the subscription's start (onStart, by default a reset): it
 * never waits for a delta it cannot apply.
 */
class ChordSubscribeStartTest {
  @Test
  void subscribe_afterACommitTheListenerDidNotSee_startsItFromTheStoredState() {
    try (Chord chord = Chord.inMemory()) {
      startsFromTheStoredState(chord);
    }
  }

  private static void startsFromTheStoredState(Chord chord) {
    chord.setContext("room", Map.of("n", 1L));
    // The listener holds what it read; a commit lands before it subscribes.
    Context read = chord.getContext("room").orElseThrow();
    long[] version = {read.version()};
    String[] epoch = {read.epoch()};
    List<String> unapplicable = new ArrayList<>();
    chord.updateContext("room", Map.of("n", 2L));
    chord.subscribe(
        "room",
        new ContextListener() {
          @Override
          public void onDelta(DeltaRecord r) {
            if (r.epoch().equals(epoch[0]) && r.version() == version[0] + 1) {
              version[0] = r.version();
            } else if (!(r.epoch().equals(epoch[0]) && r.version() <= version[0])) {
              unapplicable.add(
                  r.epoch() + "." + r.version() + " on " + epoch[0] + "." + version[0]);
            }
          }

          @Override
          public void onReset(Optional<Context> current) {
            epoch[0] = current.map(Context::epoch).orElse(null);
            version[0] = current.map(Context::version).orElse(0L);
          }
        });
    chord.updateContext("room", Map.of("n", 3L));
    assertThat(unapplicable).as("deltas the rule forbids applying").isEmpty();
    assertThat(version[0]).isEqualTo(chord.getContext("room").orElseThrow().version());
  }
}
