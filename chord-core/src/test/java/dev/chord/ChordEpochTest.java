package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.memory.InMemoryBackend;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Epochs: their form, a fresh one for every create and restore, the same one through every set and
 * update, never one shared by two incarnations of an id.
 */
class ChordEpochTest {
  private static final Pattern FORM = Pattern.compile("[A-Za-z0-9_-]{8,22}");

  private final InMemoryBackend backend = InMemoryBackend.create();
  private final AtomicReference<Context> provided = new AtomicReference<>();
  private final Chord chord =
      Chord.builder()
          .backend(backend)
          .externalProvider(id -> Optional.ofNullable(provided.get()))
          .build();

  @AfterEach
  void close() {
    chord.close();
  }

  private static String assertForm(String epoch) {
    assertThat(epoch).matches(FORM);
    return epoch;
  }

  @Test
  void epochs_handedOut_have8To22CharsOfTheUrlSafeAlphabet() {
    ContextUpdate created = chord.setContext("room", Map.of("a", 1));
    assertForm(created.context().epoch());
    assertThat(created.deltaRecord().epoch()).isEqualTo(created.context().epoch());
    provided.set(new Context("room", 3, Map.of("r", 1), 0));
    assertForm(chord.restoreContext("room").epoch());
    assertForm(chord.getContext("room").orElseThrow().epoch());
    assertForm(chord.syncContext("room", 0L).epoch());
    for (int i = 0; i < 1000; i++) {
      assertThat(assertForm(Epochs.next())).hasSize(16);
    }
  }

  @Test
  void epochsCheck_acceptsExactlyTheForm() {
    for (String good : List.of("abcdefgh", "A-Z_a-z0", "0123456789abcdefghijkl", "--------")) {
      assertThat(Epochs.isValid(good)).as(good).isTrue();
      assertThat(Epochs.check(good)).isEqualTo(good);
    }
    List<String> bad =
        List.of(
            "",
            "abcdefg",
            "0123456789abcdefghijklm",
            "abcdefg!",
            "abcd efgh",
            "abcdéfgh",
            "abcd+fgh",
            "abcd/fgh",
            "abcd=fgh",
            "abcdefgh\n");
    for (String epoch : bad) {
      assertThat(Epochs.isValid(epoch)).as("'%s'", epoch).isFalse();
      assertThatThrownBy(() -> Epochs.check(epoch))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("8 to 22");
    }
    assertThat(Epochs.isValid(null)).isFalse();
    assertThatThrownBy(() -> Epochs.check(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void setAndUpdate_keepTheEpoch() {
    String epoch = chord.setContext("room", Map.of("a", 1)).context().epoch();
    List<ContextUpdate> updates =
        List.of(
            chord.updateContext("room", Map.of("b", 2)),
            chord.setContext("room", Map.of("c", 3)),
            chord.setContext("room", Map.of("c", 3)), // unchanged
            chord.updateContext("room", Map.of("c", 3)), // unchanged
            chord.setContext("room", Map.of(), 3, epoch),
            chord.updateContext("room", Map.of("d", 4), 4, epoch),
            chord.updateContext("room", Map.of("e", 5), 5));
    for (ContextUpdate update : updates) {
      assertThat(update.context().epoch()).isEqualTo(epoch);
      if (update.changed()) {
        assertThat(update.deltaRecord().epoch()).isEqualTo(epoch);
      }
    }
    assertThat(chord.getContext("room").orElseThrow().epoch()).isEqualTo(epoch);
    assertThat(backend.history("room", 0, 100).orElseThrow().deltas())
        .extracting(DeltaRecord::epoch)
        .hasSize(6)
        .containsOnly(epoch);
  }

  @Test
  void createDeleteCycles_everyIncarnationHasItsOwnEpoch() {
    Set<String> epochs = new HashSet<>();
    int cycles = 2000;
    for (int i = 0; i < cycles; i++) {
      Context created = chord.setContext("room", Map.of("i", i)).context();
      assertThat(created.version()).isEqualTo(1);
      assertThat(epochs.add(created.epoch())).as("epoch of cycle %d is new", i).isTrue();
      assertThat(chord.updateContext("room", Map.of("j", i)).context().epoch())
          .isEqualTo(created.epoch());
      chord.deleteContext("room");
    }
    assertThat(epochs).hasSize(cycles);
  }

  @Test
  void contextsOfDifferentIds_haveDifferentEpochs() {
    Set<String> epochs = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      epochs.add(chord.setContext("room" + i, Map.of()).context().epoch());
    }
    assertThat(epochs).hasSize(200);
  }

  @Test
  void restore_drawsAFreshEpoch_ignoringTheProvidersEpoch() {
    String providerEpoch = "fromProvider01";
    provided.set(new Context("room", 2, Map.of("r", 1), 0, providerEpoch));
    Context created = chord.setContext("room", Map.of("a", 1)).context();
    chord.updateContext("room", Map.of("a", 2));

    Context first = chord.restoreContext("room");
    Context second = chord.restoreContext("room");

    assertThat(List.of(created.epoch(), first.epoch(), second.epoch(), providerEpoch))
        .doesNotHaveDuplicates();
    assertThat(second.version()).isEqualTo(first.version()).isEqualTo(2);
    assertThat(chord.getContext("room").orElseThrow().epoch()).isEqualTo(second.epoch());
    assertThat(backend.get("room").orElseThrow().epoch()).isEqualTo(second.epoch());
    assertThat(chord.updateContext("room", Map.of("after", 1)).context().epoch())
        .isEqualTo(second.epoch());
  }

  @Test
  void restore_ofAnAbsentContext_drawsAFreshEpoch() {
    provided.set(new Context("room", 4, Map.of("r", 1), 0, "fromProvider01"));
    Context restored = chord.restoreContext("room");
    assertForm(restored.epoch());
    assertThat(restored.epoch()).isNotEqualTo("fromProvider01");
  }

  @Test
  void restore_providerContextWithoutEpoch_storedWithAFreshOne() {
    provided.set(new Context("room", 4, Map.of("r", 1), 0));
    Context restored = chord.restoreContext("room");
    assertForm(restored.epoch());
    assertThat(restored.version()).isEqualTo(4);
    assertThat(chord.getContext("room")).contains(restored);
    assertThat(chord.syncContext("room", 4, restored.epoch()))
        .isEqualTo(new SyncResult.NoChange(4, restored.epoch()));
  }
}
