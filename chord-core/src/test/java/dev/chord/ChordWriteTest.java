package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.memory.InMemoryBackend;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Version rules of setContext and updateContext, and updateContext's deep merge. */
class ChordWriteTest {
  private final MutableClock clock = MutableClock.start();
  private final InMemoryBackend backend = InMemoryBackend.create();
  private final Chord chord = Chord.builder().backend(backend).clock(clock).build();

  @AfterEach
  void close() {
    chord.close();
  }

  private long nowSeconds() {
    return clock.instant().getEpochSecond();
  }

  private int storedDeltas(String id) {
    return backend.history(id, 0, Integer.MAX_VALUE).orElseThrow().deltas().size();
  }

  // ---- setContext ----

  @Test
  void setContext_absent_createsVersion1WithCreationDelta() {
    Map<String, Object> data = Map.of("topic", "launch", "p", Map.of("ann", Map.of()));
    ContextUpdate update = chord.setContext("room", data);
    assertThat(update.changed()).isTrue();
    String epoch = update.context().epoch();
    assertThat(Epochs.isValid(epoch)).isTrue();
    assertThat(update.context()).isEqualTo(new Context("room", 1, data, nowSeconds(), epoch));
    assertThat(update.delta()).isEqualTo(Delta.diff(Map.of(), data));
    assertThat(update.deltaRecord())
        .isEqualTo(new DeltaRecord("room", 1, Delta.diff(Map.of(), data), nowSeconds(), epoch));
    assertThat(chord.getContext("room")).contains(update.context());
  }

  @Test
  void setContext_absentWithEmptyMap_createsVersion1WithEmptyDelta() {
    ContextUpdate update = chord.setContext("room", Map.of());
    assertThat(update.changed()).isTrue();
    assertThat(update.context().version()).isEqualTo(1);
    assertThat(update.context().data()).isEmpty();
    assertThat(update.delta()).isEqualTo(Delta.diff(Map.of(), Map.of())).isEqualTo(Delta.empty());
    assertThat(storedDeltas("room")).isEqualTo(1);
    SyncResult.Patch patch = (SyncResult.Patch) chord.syncContext("room", 0L);
    assertThat(patch.delta().isEmpty()).isTrue();
    assertThat(patch.version()).isEqualTo(1);
  }

  @Test
  void setContext_existing_replacesWholeAndIncrementsVersion() {
    chord.setContext("room", Map.of("a", 1, "b", Map.of("x", 1)));
    clock.advance(Duration.ofSeconds(5));
    ContextUpdate update = chord.setContext("room", Map.of("b", Map.of("x", 2), "c", true));
    assertThat(update.context().version()).isEqualTo(2);
    assertThat(update.context().insertedAt()).isEqualTo(nowSeconds());
    assertThat(update.context().data()).isEqualTo(Map.of("b", Map.of("x", 2L), "c", true));
    assertThat(update.delta().changes())
        .containsExactly(
            new Change(List.of("a"), Action.REMOVED, 1L, null),
            new Change(List.of("b", "x"), Action.MODIFIED, 1L, 2L),
            new Change(List.of("c"), Action.ADDED, null, true));
  }

  @Test
  void setContext_sameData_unchangedKeepsVersionAndInsertedAt() {
    Context created = chord.setContext("room", Map.of("a", 1, "m", Map.of())).context();
    clock.advance(Duration.ofMinutes(1));
    ContextUpdate again = chord.setContext("room", new HashMap<>(Map.of("a", 1L, "m", Map.of())));
    assertThat(again.changed()).isFalse();
    assertThat(again.context()).isEqualTo(created);
    assertThat(again.delta().isEmpty()).isTrue();
    assertThat(again.deltaRecord()).isNull();
    assertThat(storedDeltas("room")).isEqualTo(1);
    assertThat(chord.getContext("room")).contains(created);
  }

  @Test
  void setContext_afterDelete_startsAgainAtVersion1() {
    chord.setContext("room", Map.of("a", 1));
    chord.updateContext("room", Map.of("a", 2));
    chord.deleteContext("room");
    ContextUpdate recreated = chord.setContext("room", Map.of("a", 2));
    assertThat(recreated.context().version()).isEqualTo(1);
    assertThat(recreated.delta()).isEqualTo(Delta.diff(Map.of(), Map.of("a", 2)));
    assertThat(storedDeltas("room")).isEqualTo(1);
  }

  // ---- updateContext ----

  @Test
  void updateContext_absent_throwsNotFoundAndCreatesNothing() {
    assertThatThrownBy(() -> chord.updateContext("ghost", Map.of("a", 1)))
        .isInstanceOf(ContextNotFoundException.class)
        .hasMessageContaining("ghost")
        .satisfies(e -> assertThat(((ContextNotFoundException) e).contextId()).isEqualTo("ghost"));
    assertThat(chord.getContext("ghost")).isEmpty();
  }

  @Test
  void updateContext_nestedMap_mergesKeepingSiblings() {
    chord.setContext(
        "room", Map.of("p", Map.of("ann", Map.of("status", "away", "role", "host"), "bob", 1)));
    ContextUpdate update =
        chord.updateContext("room", Map.of("p", Map.of("ann", Map.of("status", "active"))));
    assertThat(update.context().version()).isEqualTo(2);
    assertThat(update.context().data())
        .isEqualTo(
            Map.of("p", Map.of("ann", Map.of("status", "active", "role", "host"), "bob", 1L)));
    assertThat(update.delta().changes())
        .containsExactly(
            new Change(List.of("p", "ann", "status"), Action.MODIFIED, "away", "active"));
  }

  @Test
  void updateContext_nullValue_setsKeyToNullWithoutRemovingIt() {
    chord.setContext("room", Map.of("a", 1, "m", Map.of("x", 1)));
    Map<String, Object> changes = new HashMap<>();
    changes.put("a", null);
    changes.put("m", null);
    changes.put("new", null);
    ContextUpdate update = chord.updateContext("room", changes);
    Map<String, Object> data = update.context().data();
    assertThat(data).containsOnlyKeys("a", "m", "new");
    assertThat(data.get("a")).isNull();
    assertThat(data.get("m")).isNull();
    assertThat(update.delta().changes())
        .containsExactly(
            new Change(List.of("a"), Action.MODIFIED, 1L, null),
            new Change(List.of("m"), Action.MODIFIED, Map.of("x", 1L), null),
            new Change(List.of("new"), Action.ADDED, null, null));
    // Setting null again is no change.
    assertThat(chord.updateContext("room", changes).changed()).isFalse();
  }

  @Test
  void updateContext_list_replacedWhole() {
    chord.setContext("room", Map.of("tags", List.of("a", "b", "c")));
    ContextUpdate update = chord.updateContext("room", Map.of("tags", List.of("b")));
    assertThat(update.context().data()).isEqualTo(Map.of("tags", List.of("b")));
    assertThat(update.delta().changes())
        .containsExactly(
            new Change(List.of("tags"), Action.MODIFIED, List.of("a", "b", "c"), List.of("b")));
  }

  @Test
  void updateContext_missingKeys_createdWholeAtTheFirstMissingLevel() {
    chord.setContext("room", Map.of("p", Map.of()));
    ContextUpdate update =
        chord.updateContext(
            "room", Map.of("p", Map.of("ann", Map.of("s", 1)), "q", Map.of("deep", Map.of())));
    assertThat(update.context().data())
        .isEqualTo(Map.of("p", Map.of("ann", Map.of("s", 1L)), "q", Map.of("deep", Map.of())));
    assertThat(update.delta().changes())
        .containsExactly(
            new Change(List.of("p", "ann"), Action.ADDED, null, Map.of("s", 1L)),
            new Change(List.of("q"), Action.ADDED, null, Map.of("deep", Map.of())));
  }

  @Test
  void updateContext_mapOverScalarAndScalarOverMap_replace() {
    chord.setContext("room", Map.of("a", 1, "m", Map.of("x", 1)));
    ContextUpdate update = chord.updateContext("room", Map.of("a", Map.of("y", 2), "m", "flat"));
    assertThat(update.context().data()).isEqualTo(Map.of("a", Map.of("y", 2L), "m", "flat"));
    assertThat(update.delta())
        .isEqualTo(Delta.diff(Map.of("a", 1, "m", Map.of("x", 1)), update.context().data()));
  }

  @Test
  void updateContext_sameValues_unchangedKeepsVersionAndInsertedAt() {
    Context created =
        chord.setContext("room", Map.of("a", 1, "m", Map.of("x", List.of(1)))).context();
    clock.advance(Duration.ofSeconds(30));
    for (Map<String, Object> noop :
        List.<Map<String, Object>>of(
            Map.of(),
            Map.of("a", 1),
            Map.of("m", Map.of()),
            Map.of("m", Map.of("x", List.of(1))))) {
      ContextUpdate update = chord.updateContext("room", noop);
      assertThat(update.changed()).as("%s", noop).isFalse();
      assertThat(update.context()).isEqualTo(created);
      assertThat(update.delta()).isEqualTo(Delta.empty());
    }
    assertThat(storedDeltas("room")).isEqualTo(1);
  }

  @Test
  void updateContext_versions_growByOnePerChangeWithInsertedAtOfLastChange() {
    chord.setContext("room", Map.of("n", 0));
    for (int i = 1; i <= 20; i++) {
      clock.advance(Duration.ofSeconds(i));
      ContextUpdate update = chord.updateContext("room", Map.of("n", i));
      assertThat(update.context().version()).isEqualTo(i + 1);
      assertThat(update.context().insertedAt()).isEqualTo(nowSeconds());
      chord.updateContext("room", Map.of("n", i)); // no-op, no version
    }
    assertThat(chord.getContext("room").orElseThrow().version()).isEqualTo(21);
  }

  @Test
  void deleteContext_absent_isIdempotent() {
    chord.deleteContext("never");
    chord.setContext("room", Map.of());
    chord.deleteContext("room");
    chord.deleteContext("room");
    assertThat(chord.getContext("room")).isEmpty();
    assertThat(backend.history("room", 0, 10)).isEmpty();
    assertThatThrownBy(() -> chord.syncContext("room", 1L))
        .isInstanceOf(ContextNotFoundException.class);
  }

  @Test
  void setAndUpdate_backendFails_backendExceptionAndNothingStored() {
    HookedBackend failing = new HookedBackend();
    List<ChordEvent> events = new CopyOnWriteArrayList<>();
    try (Chord flaky = Chord.builder().backend(failing).listener(events::add).build()) {
      Context before = flaky.setContext("room", Map.of("a", 1)).context();
      BackendException down = new BackendException("storage down");
      failing.commitFailure = down;
      assertThatThrownBy(() -> flaky.updateContext("room", Map.of("a", 2))).isSameAs(down);
      assertThatThrownBy(() -> flaky.setContext("other", Map.of())).isSameAs(down);
      assertThat(events.get(events.size() - 1).outcome()).isEqualTo(ChordEvent.Outcome.ERROR);
      failing.commitFailure = null;
      assertThat(flaky.getContext("room")).contains(before);
      assertThat(flaky.getContext("other")).isEmpty();
      assertThat(flaky.syncContext("room", 1L))
          .isEqualTo(new SyncResult.NoChange(1, before.epoch()));
      assertThat(flaky.updateContext("room", Map.of("a", 2)).context().version()).isEqualTo(2);
    }
  }

  @Test
  void close_thenAnyOperation_failsAndCloseIsIdempotent() {
    chord.close();
    chord.close();
    assertThatThrownBy(() -> chord.getContext("room")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> chord.setContext("room", Map.of()))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> chord.subscribe("room", r -> {}))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> chord.cleanup(1)).isInstanceOf(IllegalStateException.class);
  }
}
