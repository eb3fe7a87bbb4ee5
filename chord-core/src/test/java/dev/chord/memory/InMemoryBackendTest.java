package dev.chord.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.Context;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ContextInfo;
import dev.chord.spi.ContextPage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The in-memory backend's own parts: commit checks, trimming and listing pages. */
class InMemoryBackendTest {
  private static final String EPOCH = "memEpoch0001";
  private final InMemoryBackend backend = InMemoryBackend.create();

  private CommitResult commit(String id, long version, int maxDeltas) {
    Context context = new Context(id, version, Map.of("v", version), version * 10, EPOCH);
    DeltaRecord record = new DeltaRecord(id, version, Delta.empty(), version * 10, EPOCH);
    return backend.commit(new Commit(context, record, version - 1, maxDeltas));
  }

  private List<String> listAll(int limit) {
    List<String> ids = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      ContextPage page = backend.listContexts(cursor, limit);
      assertThat(page.contexts().size()).isLessThanOrEqualTo(limit);
      page.contexts().forEach(info -> ids.add(info.contextId()));
      cursor = page.nextCursor();
      assertThat(++pages).isLessThan(1000);
    } while (cursor != null);
    return ids;
  }

  @Test
  void listContexts_anyLimit_everyContextOnceInIdOrder() {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      String id = String.format("ctx-%02d", i);
      expected.add(id);
      commit(id, 1, 5);
    }
    for (int limit : new int[] {1, 2, 5, 22, 23, 24, 1000}) {
      assertThat(listAll(limit)).as("limit %d", limit).isEqualTo(expected);
    }
  }

  @Test
  void listContexts_limitEqualsRemaining_lastPageHasNoCursor() {
    commit("a", 1, 5);
    commit("b", 1, 5);
    ContextPage page = backend.listContexts(null, 2);
    assertThat(page.contexts()).extracting(ContextInfo::contextId).containsExactly("a", "b");
    assertThat(page.nextCursor()).isNull();
    ContextPage first = backend.listContexts(null, 1);
    assertThat(first.nextCursor()).isEqualTo("a");
  }

  @Test
  void listContexts_empty_emptyPageNoCursor() {
    ContextPage page = backend.listContexts(null, 10);
    assertThat(page.contexts()).isEmpty();
    assertThat(page.nextCursor()).isNull();
  }

  @Test
  void listContexts_cursorContextDeleted_continuesAfterIt() {
    for (String id : List.of("a", "b", "c", "d")) {
      commit(id, 1, 5);
    }
    ContextPage first = backend.listContexts(null, 2);
    assertThat(first.nextCursor()).isEqualTo("b");
    backend.delete("b");
    backend.delete("c");
    ContextPage rest = backend.listContexts(first.nextCursor(), 2);
    assertThat(rest.contexts()).extracting(ContextInfo::contextId).containsExactly("d");
    assertThat(rest.nextCursor()).isNull();
  }

  @Test
  void listContexts_info_carriesVersionInsertedAtAndEpoch() {
    commit("a", 1, 5);
    commit("a", 2, 5);
    assertThat(backend.listContexts(null, 5).contexts())
        .containsExactly(new ContextInfo("a", 2, 20, EPOCH));
  }

  @Test
  void listContexts_limitBelowOne_rejected() {
    assertThatThrownBy(() -> backend.listContexts(null, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void commit_wrongExpectedVersion_conflictWithCurrent() {
    assertThat(commit("a", 1, 5)).isEqualTo(CommitResult.COMMITTED);
    CommitResult again = commit("a", 1, 5);
    assertThat(again).isInstanceOf(CommitResult.Conflict.class);
    assertThat(((CommitResult.Conflict) again).current().orElseThrow().version()).isEqualTo(1);
    assertThat(commit("absent", 2, 5)).isEqualTo(new CommitResult.Conflict(Optional.empty()));
    assertThat(backend.get("absent")).isEmpty();
  }

  @Test
  void commit_beyondMaxDeltas_oldestTrimmed() {
    for (long v = 1; v <= 10; v++) {
      commit("a", v, 3);
    }
    assertThat(backend.history("a", 0, 100).orElseThrow().deltas())
        .extracting(DeltaRecord::version)
        .containsExactly(8L, 9L, 10L);
  }

  @Test
  void history_tooFarBehindOrAhead_noDeltas() {
    for (long v = 1; v <= 5; v++) {
      commit("a", v, 10);
    }
    assertThat(backend.history("a", 1, 3).orElseThrow().deltas()).isEmpty();
    assertThat(backend.history("a", 5, 3).orElseThrow().deltas()).isEmpty();
    assertThat(backend.history("a", 9, 3).orElseThrow().deltas()).isEmpty();
    assertThat(backend.history("a", 2, 3).orElseThrow().deltas())
        .extracting(DeltaRecord::version)
        .containsExactly(3L, 4L, 5L);
    assertThat(backend.history("a", 2, 3).orElseThrow().version()).isEqualTo(5);
  }

  @Test
  void deleteIf_otherVersionOrEpoch_keepsContext() {
    commit("a", 1, 5);
    commit("a", 2, 5);
    assertThat(backend.deleteIf("a", EPOCH, 1)).isFalse();
    assertThat(backend.deleteIf("a", "otherEpoch01", 2)).isFalse();
    assertThat(backend.get("a")).isPresent();
    assertThat(backend.deleteIf("a", EPOCH, 2)).isTrue();
    assertThat(backend.get("a")).isEmpty();
    assertThat(backend.delete("a")).isFalse();
  }
}
