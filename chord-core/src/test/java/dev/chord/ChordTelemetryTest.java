package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.chord.ChordEvent.Operation;
import dev.chord.ChordEvent.Outcome;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every public operation reports a ChordEvent with the right operation and outcome. */
class ChordTelemetryTest {
  private final List<ChordEvent> events = new CopyOnWriteArrayList<>();
  private final AtomicBoolean providerFails = new AtomicBoolean();
  private final Chord chord =
      Chord.builder()
          .listener(
              e -> {
                throw new IllegalStateException("a broken listener");
              })
          .listener(events::add)
          .exporter(
              c -> {
                if (c.data().containsKey("fail")) {
                  throw new IllegalStateException("export failed");
                }
              })
          .externalProvider(
              id -> {
                if (providerFails.get()) {
                  throw new IllegalStateException("provider failed");
                }
                return id.equals("known")
                    ? Optional.of(new Context(id, 3, Map.of(), 0))
                    : Optional.empty();
              })
          .build();

  @AfterEach
  void close() {
    chord.close();
  }

  private ChordEvent last() {
    assertThat(events).isNotEmpty();
    return events.get(events.size() - 1);
  }

  private void expect(Operation operation, String contextId, Outcome outcome) {
    ChordEvent event = last();
    assertThat(event.operation()).isEqualTo(operation);
    assertThat(event.contextId()).isEqualTo(contextId);
    assertThat(event.outcome()).isEqualTo(outcome);
    assertThat(event.duration().isNegative()).isFalse();
    if (outcome == Outcome.ERROR || outcome == Outcome.NOT_FOUND) {
      assertThat(event.error()).isNotNull();
    } else {
      assertThat(event.error()).isNull();
    }
  }

  @Test
  void writes_reportOkUnchangedNotFoundError() {
    chord.setContext("room", Map.of("a", 1));
    expect(Operation.SET, "room", Outcome.OK);
    chord.setContext("room", Map.of("a", 1));
    expect(Operation.SET, "room", Outcome.UNCHANGED);
    chord.updateContext("room", Map.of("a", 2));
    expect(Operation.UPDATE, "room", Outcome.OK);
    chord.updateContext("room", Map.of("a", 2));
    expect(Operation.UPDATE, "room", Outcome.UNCHANGED);
    assertThatThrownBy(() -> chord.updateContext("ghost", Map.of()));
    expect(Operation.UPDATE, "ghost", Outcome.NOT_FOUND);
    assertThat(last().error()).isInstanceOf(ContextNotFoundException.class);
    assertThatThrownBy(() -> chord.setContext("room", Map.of("bad", new Object())));
    expect(Operation.SET, "room", Outcome.ERROR);
    assertThat(last().error()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> chord.setContext(" ", Map.of()));
    expect(Operation.SET, " ", Outcome.ERROR);
  }

  @Test
  void reads_reportOkNotFoundAndSyncKinds() {
    chord.setContext("room", Map.of("a", 1));
    chord.updateContext("room", Map.of("a", 2));
    chord.getContext("room");
    expect(Operation.GET, "room", Outcome.OK);
    assertThat(chord.getContext("ghost")).isEmpty();
    ChordEvent missing = last();
    assertThat(missing.operation()).isEqualTo(Operation.GET);
    assertThat(missing.outcome()).isEqualTo(Outcome.NOT_FOUND);
    chord.syncContext("room", null);
    expect(Operation.SYNC, "room", Outcome.FULL);
    chord.syncContext("room", 1L);
    expect(Operation.SYNC, "room", Outcome.PATCH);
    chord.syncContext("room", 2L);
    expect(Operation.SYNC, "room", Outcome.NO_CHANGE);
    assertThatThrownBy(() -> chord.syncContext("ghost", 1L));
    expect(Operation.SYNC, "ghost", Outcome.NOT_FOUND);
    assertThatThrownBy(() -> chord.syncContext("room", -1L));
    expect(Operation.SYNC, "room", Outcome.ERROR);
  }

  @Test
  void lifecycle_reportsDeleteExportRestoreSubscribeCleanup() throws Exception {
    chord.setContext("room", Map.of());
    chord.deleteContext("room");
    expect(Operation.DELETE, "room", Outcome.OK);
    chord.setContext("room", Map.of());
    chord.exportContext("room");
    expect(Operation.EXPORT, "room", Outcome.OK);
    assertThatThrownBy(() -> chord.exportContext("ghost"));
    expect(Operation.EXPORT, "ghost", Outcome.NOT_FOUND);
    chord.setContext("failing", Map.of("fail", true));
    assertThatThrownBy(() -> chord.exportContext("failing"));
    expect(Operation.EXPORT, "failing", Outcome.ERROR);
    chord.restoreContext("known");
    expect(Operation.RESTORE, "known", Outcome.OK);
    assertThatThrownBy(() -> chord.restoreContext("ghost"));
    expect(Operation.RESTORE, "ghost", Outcome.NOT_FOUND);
    providerFails.set(true);
    assertThatThrownBy(() -> chord.restoreContext("known"));
    expect(Operation.RESTORE, "known", Outcome.ERROR);
    try (AutoCloseable sub = chord.subscribe("room", r -> {})) {
      expect(Operation.SUBSCRIBE, "room", Outcome.OK);
    }
    assertThatThrownBy(() -> chord.subscribe("", r -> {}));
    expect(Operation.SUBSCRIBE, "", Outcome.ERROR);
    chord.cleanup();
    expect(Operation.CLEANUP, null, Outcome.OK);
    chord.cleanup(5);
    expect(Operation.CLEANUP, null, Outcome.OK);
    assertThatThrownBy(() -> chord.cleanup(0));
    expect(Operation.CLEANUP, null, Outcome.ERROR);
  }

  @Test
  void throwingListener_operationAndOtherListenersUnaffected() {
    ContextUpdate update = chord.setContext("room", Map.of("a", 1));
    assertThat(update.context().version()).isEqualTo(1);
    assertThat(chord.getContext("room")).isPresent();
    assertThat(events)
        .extracting(ChordEvent::operation)
        .containsExactly(Operation.SET, Operation.GET);
  }

  @Test
  void subscriberThrows_deliverErrorReportedAndCommitUnaffected() throws Exception {
    try (AutoCloseable sub =
        chord.subscribe(
            "room",
            r -> {
              throw new IllegalStateException("subscriber failed");
            })) {
      assertThat(chord.setContext("room", Map.of()).changed()).isTrue();
      await()
          .untilAsserted(
              () ->
                  assertThat(events)
                      .anySatisfy(
                          e -> {
                            assertThat(e.operation()).isEqualTo(Operation.DELIVER);
                            assertThat(e.outcome()).isEqualTo(Outcome.ERROR);
                            assertThat(e.contextId()).isEqualTo("room");
                            assertThat(e.error()).hasMessage("subscriber failed");
                          }));
    }
  }

  @Test
  void tags_areLowerCaseNames() {
    assertThat(Operation.SYNC.tag()).isEqualTo("sync");
    assertThat(Outcome.NO_CHANGE.tag()).isEqualTo("no_change");
    assertThat(Action.MODIFIED.wireName()).isEqualTo("modified");
  }
}
