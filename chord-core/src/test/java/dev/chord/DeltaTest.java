package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.spi.Snapshots;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Readable examples of the diff, merge, apply and invert rules. */
class DeltaTest {

  private static Delta merge(List<Map<String, Object>> states) {
    List<Delta> deltas = new ArrayList<>();
    for (int i = 1; i < states.size(); i++) {
      deltas.add(Delta.diff(states.get(i - 1), states.get(i)));
    }
    return Delta.merge(deltas);
  }

  // ---- diff ----

  @Test
  void diff_bothMapsWithChangesInside_nestedChange() {
    Delta d = Delta.diff(Map.of("m", Map.of("a", 1, "b", 1)), Map.of("m", Map.of("a", 2, "b", 1)));
    assertThat(d.changes()).containsExactly(new Change(List.of("m", "a"), Action.MODIFIED, 1L, 2L));
  }

  @Test
  void diff_equalNestedMaps_omitted() {
    Delta d = Delta.diff(Map.of("m", Map.of("a", 1), "x", 1), Map.of("m", Map.of("a", 1), "x", 2));
    assertThat(d.changes()).containsExactly(new Change(List.of("x"), Action.MODIFIED, 1L, 2L));
    assertThat(d.toMap()).containsOnlyKeys("x");
  }

  @Test
  void diff_addedMap_oneAddedChangeWithWholeValue() {
    Delta d = Delta.diff(Map.of(), Map.of("m", Map.of("a", Map.of("b", 1)), "e", Map.of()));
    assertThat(d.changes())
        .containsExactly(
            new Change(List.of("e"), Action.ADDED, null, Map.of()),
            new Change(List.of("m"), Action.ADDED, null, Map.of("a", Map.of("b", 1L))));
  }

  @Test
  void diff_removedKey_removedWithOldValue() {
    Delta d = Delta.diff(Map.of("m", Map.of("a", 1)), Map.of());
    assertThat(d.changes())
        .containsExactly(new Change(List.of("m"), Action.REMOVED, Map.of("a", 1L), null));
  }

  @Test
  void diff_listChangedInside_replacedWhole() {
    Delta d =
        Delta.diff(
            Map.of("l", List.of(1, Map.of("a", 1))), Map.of("l", List.of(1, Map.of("a", 2))));
    assertThat(d.changes())
        .containsExactly(
            new Change(
                List.of("l"),
                Action.MODIFIED,
                List.of(1L, Map.of("a", 1L)),
                List.of(1L, Map.of("a", 2L))));
  }

  @Test
  void diff_nullVersusAbsent_isAChange() {
    Map<String, Object> withNull = new HashMap<>();
    withNull.put("k", null);
    assertThat(Delta.diff(Map.of(), withNull).changes())
        .containsExactly(new Change(List.of("k"), Action.ADDED, null, null));
    assertThat(Delta.diff(withNull, Map.of()).changes())
        .containsExactly(new Change(List.of("k"), Action.REMOVED, null, null));
    assertThat(Delta.diff(withNull, Map.of()).applyTo(withNull)).isEmpty();
  }

  @Test
  void diff_numbersOfDifferentTypes_areDifferentValues() {
    assertThat(Delta.diff(Map.of("n", 1L), Map.of("n", 1.0)).isEmpty()).isFalse();
    assertThat(Delta.diff(Map.of("n", 1), Map.of("n", 1L)).isEmpty()).isTrue();
  }

  @Test
  void changes_nestedKeys_depthFirstSorted() {
    Delta d =
        Delta.diff(
            Map.of("b", Map.of("z", 1, "a", 1), "a", 1),
            Map.of("b", Map.of("z", 2, "a", 2, "m", 0), "c", 1));
    assertThat(d.changes())
        .extracting(Change::path)
        .containsExactly(
            List.of("a"), List.of("b", "a"), List.of("b", "m"), List.of("b", "z"), List.of("c"));
  }

  @Test
  void toMap_userKeyNamedAction_notMistakenForALeaf() {
    Delta d =
        Delta.diff(
            Map.of("action", Map.of("action", "x", "value", 1)),
            Map.of("action", Map.of("action", "y", "value", 1)));
    assertThat(d.toMap())
        .isEqualTo(
            Map.of(
                "action",
                Map.of("action", Map.of("action", "modified", "old_value", "x", "value", "y"))));
    assertThat(Delta.fromChanges(d.changes())).isEqualTo(d);
  }

  // ---- merge: the cases where naive composition leaves stale entries ----

  @Test
  void merge_removedThenReAddedSameValue_empty() {
    Delta m = merge(List.of(Map.of("k", 1, "o", 0), Map.of("o", 0), Map.of("k", 1, "o", 0)));
    assertThat(m).isEqualTo(Delta.empty());
  }

  @Test
  void merge_removedThenReAddedOtherValue_modified() {
    Delta m = merge(List.of(Map.of("k", 1), Map.of(), Map.of("k", 2)));
    assertThat(m.changes()).containsExactly(new Change(List.of("k"), Action.MODIFIED, 1L, 2L));
  }

  @Test
  void merge_addedThenModified_addedWithLastValue() {
    Delta m = merge(List.of(Map.of(), Map.of("k", 1), Map.of("k", 2)));
    assertThat(m.changes()).containsExactly(new Change(List.of("k"), Action.ADDED, null, 2L));
  }

  @Test
  void merge_addedThenRemoved_empty() {
    assertThat(merge(List.of(Map.of(), Map.of("k", Map.of("a", 1)), Map.of())))
        .isEqualTo(Delta.empty());
  }

  @Test
  void merge_modifiedAndBack_empty() {
    assertThat(merge(List.of(Map.of("k", 1), Map.of("k", 2), Map.of("k", 1))))
        .isEqualTo(Delta.empty());
  }

  @Test
  void merge_mapReplacedByScalarAndBack_onlyInnerDifference() {
    Delta m =
        merge(
            List.of(
                Map.of("m", Map.of("a", 1, "b", 1)),
                Map.of("m", "flat"),
                Map.of("m", Map.of("a", 1, "b", 2))));
    assertThat(m.changes()).containsExactly(new Change(List.of("m", "b"), Action.MODIFIED, 1L, 2L));
  }

  @Test
  void merge_nestedChangeThenMapReplaced_modifiedFromOriginalMap() {
    Delta m =
        merge(List.of(Map.of("m", Map.of("a", 1)), Map.of("m", Map.of("a", 2)), Map.of("m", 5)));
    assertThat(m.changes())
        .containsExactly(new Change(List.of("m"), Action.MODIFIED, Map.of("a", 1L), 5L));
  }

  @Test
  void merge_nestedChangeThenRemoved_removedWithOriginalMap() {
    Delta m = merge(List.of(Map.of("m", Map.of("a", 1)), Map.of("m", Map.of("a", 2)), Map.of()));
    assertThat(m.changes())
        .containsExactly(new Change(List.of("m"), Action.REMOVED, Map.of("a", 1L), null));
  }

  @Test
  void merge_emptyMapAddedThenFilled_addedWithFilledMap() {
    Delta m = merge(List.of(Map.of(), Map.of("m", Map.of()), Map.of("m", Map.of("a", 1))));
    assertThat(m.changes())
        .containsExactly(new Change(List.of("m"), Action.ADDED, null, Map.of("a", 1L)));
  }

  @Test
  void merge_nestedChangesCancelling_keyDropped() {
    Delta m =
        merge(
            List.of(
                Map.of("m", Map.of("a", 1), "x", 0),
                Map.of("m", Map.of("a", 2), "x", 0),
                Map.of("m", Map.of("a", 1), "x", 1)));
    assertThat(m.changes()).containsExactly(new Change(List.of("x"), Action.MODIFIED, 0L, 1L));
  }

  @Test
  void merge_noDeltasOrOne_emptyOrThatDelta() {
    Delta d = Delta.diff(Map.of(), Map.of("a", 1));
    assertThat(Delta.merge(List.of())).isEqualTo(Delta.empty());
    assertThat(Delta.merge(List.of(d))).isEqualTo(d);
    assertThat(Delta.merge(List.of(Delta.empty(), d, Delta.empty()))).isEqualTo(d);
  }

  @Test
  void merge_deltasThatDoNotChain_rejectedNamingPath() {
    Delta addK = Delta.diff(Map.of(), Map.of("k", 1));
    Delta removeK = Delta.diff(Map.of("k", 1), Map.of());
    Delta insideK = Delta.diff(Map.of("k", Map.of("a", 1)), Map.of("k", Map.of("a", 2)));
    assertThatThrownBy(() -> Delta.merge(List.of(addK, addK)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/k");
    assertThatThrownBy(() -> Delta.merge(List.of(removeK, removeK)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Delta.merge(List.of(removeK, insideK)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Delta.merge(List.of(addK, insideK)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/k");
  }

  // ---- applyTo, invert, fromChanges ----

  @Test
  void applyTo_nestedChangeOnNonMap_rejectedNamingPath() {
    Delta inside = Delta.diff(Map.of("k", Map.of("a", 1)), Map.of("k", Map.of("a", 2)));
    assertThatThrownBy(() -> inside.applyTo(Map.of("k", 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/k");
    assertThatThrownBy(() -> inside.applyTo(Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/k");
  }

  @Test
  void applyTo_plainAndFrozenState_sameResultAndInputUntouched() {
    Map<String, Object> plain = new HashMap<>(Map.of("m", new HashMap<>(Map.of("a", 1)), "x", 1));
    Delta d = Delta.diff(plain, Map.of("m", Map.of("a", 2, "b", 3), "y", 2));
    Map<String, Object> fromPlain = d.applyTo(plain);
    Map<String, Object> fromFrozen = d.applyTo(Snapshots.freeze(plain));
    assertThat(fromPlain)
        .isEqualTo(fromFrozen)
        .isEqualTo(Map.of("m", Map.of("a", 2L, "b", 3L), "y", 2L));
    assertThat(plain).isEqualTo(Map.of("m", Map.of("a", 1), "x", 1));
    Unmodifiable.assertDeeplyUnmodifiable(fromPlain);
  }

  @Test
  void applyTo_oldValuesNotChecked_appliesOnlyTheChanges() {
    Delta d = Delta.diff(Map.of("a", 1), Map.of("a", 2));
    assertThat(d.applyTo(Map.of("a", 99, "other", true))).isEqualTo(Map.of("a", 2L, "other", true));
  }

  @Test
  void invert_eachAction_swapped() {
    Delta d = Delta.diff(Map.of("r", 1, "m", 1), Map.of("m", 2, "a", 3));
    assertThat(d.invert().changes())
        .containsExactly(
            new Change(List.of("a"), Action.REMOVED, 3L, null),
            new Change(List.of("m"), Action.MODIFIED, 2L, 1L),
            new Change(List.of("r"), Action.ADDED, null, 1L));
  }

  @Test
  void fromChanges_overlappingPaths_rejected() {
    assertThatThrownBy(
            () ->
                Delta.fromChanges(
                    List.of(
                        new Change(List.of("a"), Action.ADDED, null, 1),
                        new Change(List.of("a", "b"), Action.ADDED, null, 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/a");
    assertThatThrownBy(
            () ->
                Delta.fromChanges(
                    List.of(
                        new Change(List.of("a"), Action.ADDED, null, 1),
                        new Change(List.of("a"), Action.REMOVED, 1, null))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void fromChanges_normalizesValuesAndIgnoresOldValueOfAdded() {
    Delta d = Delta.fromChanges(List.of(new Change(List.of("a"), Action.ADDED, "ignored", 1)));
    assertThat(d).isEqualTo(Delta.diff(Map.of(), Map.of("a", 1L)));
  }

  @Test
  void change_emptyPath_rejected() {
    assertThatThrownBy(() -> new Change(List.of(), Action.ADDED, null, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void equals_differentContent_notEqual() {
    Delta a = Delta.diff(Map.of(), Map.of("a", 1));
    assertThat(a).isNotEqualTo(Delta.diff(Map.of(), Map.of("a", 2)));
    assertThat(a).isNotEqualTo(Delta.diff(Map.of("a", 0), Map.of("a", 1)));
    assertThat(a).isNotEqualTo(null).isNotEqualTo("a");
    assertThat(Delta.empty().isEmpty()).isTrue();
    assertThat(Delta.empty().changeCount()).isZero();
    assertThat(Delta.empty().invert()).isEqualTo(Delta.empty());
  }
}
