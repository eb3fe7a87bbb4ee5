package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import dev.chord.spi.Snapshots;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The laws of {@link Delta}, over random nested trees and random chains of edits (QuickTheories: a
 * failure prints the smallest falsifying example and its seed; {@code -DQT_SEED=...} replays it).
 */
class DeltaPropertiesTest {

  @Test
  void diff_appliedToBefore_givesAfter() {
    qt().withExamples(300)
        .forAll(JsonTrees.trees(), JsonTrees.trees())
        .checkAssert(
            (s, t) -> {
              Delta d = Delta.diff(s, t);
              assertThat(d.applyTo(s)).isEqualTo(t);
              assertThat(d.applyTo(Snapshots.freeze(s))).isEqualTo(t);
              // A plain top-level map around frozen children takes the same path as a frozen one.
              assertThat(d.applyTo(new HashMap<>(Snapshots.freeze(s)))).isEqualTo(t);
            });
  }

  @Test
  void applyTo_anyInput_leavesInputUntouched() {
    qt().withExamples(200)
        .forAll(JsonTrees.trees(), JsonTrees.trees())
        .checkAssert(
            (s, t) -> {
              Map<String, Object> before = JsonTrees.copy(s);
              Map<String, Object> frozen = Snapshots.freeze(s);
              Delta.diff(s, t).applyTo(s);
              Delta.diff(s, t).applyTo(frozen);
              assertThat(s).isEqualTo(before);
              assertThat(frozen).isEqualTo(before);
            });
  }

  @Test
  void invert_afterApply_restoresState() {
    qt().withExamples(300)
        .forAll(JsonTrees.trees(), JsonTrees.trees())
        .checkAssert(
            (s, t) -> {
              Delta d = Delta.diff(s, t);
              assertThat(d.invert().applyTo(d.applyTo(s))).isEqualTo(s);
              assertThat(d.invert()).isEqualTo(Delta.diff(t, s));
              assertThat(d.invert().invert()).isEqualTo(d);
            });
  }

  @Test
  void diff_sameState_isEmpty() {
    qt().withExamples(200)
        .forAll(JsonTrees.trees())
        .checkAssert(
            s -> {
              assertThat(Delta.diff(s, s).isEmpty()).isTrue();
              assertThat(Delta.diff(s, JsonTrees.copy(s))).isEqualTo(Delta.empty());
              assertThat(Delta.diff(Snapshots.freeze(s), s).changes()).isEmpty();
            });
  }

  @Test
  void fromChanges_ofChanges_equalsDelta() {
    qt().withExamples(300)
        .forAll(JsonTrees.trees(), JsonTrees.trees())
        .checkAssert(
            (s, t) -> {
              Delta d = Delta.diff(s, t);
              Delta rebuilt = Delta.fromChanges(d.changes());
              assertThat(rebuilt).isEqualTo(d);
              assertThat(rebuilt.hashCode()).isEqualTo(d.hashCode());
              assertThat(d.changeCount()).isEqualTo(d.changes().size());
            });
  }

  @Test
  void equalsAndHashCode_sameContent_equal() {
    qt().withExamples(200)
        .forAll(JsonTrees.trees(), JsonTrees.trees())
        .checkAssert(
            (s, t) -> {
              Delta a = Delta.diff(s, t);
              Delta b = Delta.diff(JsonTrees.copy(s), Snapshots.freeze(t));
              assertThat(a).isEqualTo(b);
              assertThat(a.hashCode()).isEqualTo(b.hashCode());
              assertThat(a.toMap()).isEqualTo(b.toMap());
              assertThat(a.equals(Delta.diff(s, s))).isEqualTo(Delta.diff(s, s).equals(a));
            });
  }

  @Test
  void jsonPatch_appliedByRfc6902_givesAfter() {
    qt().withExamples(300)
        .forAll(JsonTrees.trees(), JsonTrees.trees())
        .checkAssert(
            (s, t) -> {
              List<Map<String, Object>> patch =
                  DeltaFormatters.jsonPatch().format(new DeltaRecord("c", 1, Delta.diff(s, t), 0));
              assertThat(JsonPatchApplier.apply(s, patch)).isEqualTo(t);
            });
  }

  @Test
  void merge_ofChain_equalsDiffOfEnds() {
    qt().withExamples(300)
        .forAll(JsonTrees.trees(), JsonTrees.chains(1, 8))
        .checkAssert(
            (start, edits) -> {
              List<Map<String, Object>> states = JsonTrees.chain(start, edits);
              List<Delta> deltas = deltasOf(states);
              Map<String, Object> first = states.get(0);
              Map<String, Object> last = states.get(states.size() - 1);
              Delta merged = Delta.merge(deltas);
              assertThat(merged).isEqualTo(Delta.diff(first, last));
              assertThat(merged.applyTo(first)).isEqualTo(last);
              assertThat(merged.invert().applyTo(last)).isEqualTo(first);
            });
  }

  @Test
  void merge_ofEverySubChain_equalsDiffOfItsEnds() {
    qt().withExamples(100)
        .forAll(JsonTrees.trees(), JsonTrees.chains(2, 8))
        .checkAssert(
            (start, edits) -> {
              List<Map<String, Object>> states = JsonTrees.chain(start, edits);
              List<Delta> deltas = deltasOf(states);
              for (int from = 0; from < states.size(); from++) {
                for (int to = from; to < states.size(); to++) {
                  Delta merged = Delta.merge(deltas.subList(from, to));
                  assertThat(merged)
                      .as("merge of deltas %d..%d", from + 1, to)
                      .isEqualTo(Delta.diff(states.get(from), states.get(to)));
                }
              }
            });
  }

  @Test
  void merge_ofMergedParts_equalsMergeOfAll() {
    qt().withExamples(100)
        .forAll(JsonTrees.trees(), JsonTrees.chains(2, 8))
        .checkAssert(
            (start, edits) -> {
              List<Delta> deltas = deltasOf(JsonTrees.chain(start, edits));
              int split = deltas.size() / 2;
              Delta left = Delta.merge(deltas.subList(0, split));
              Delta right = Delta.merge(deltas.subList(split, deltas.size()));
              assertThat(Delta.merge(List.of(left, right))).isEqualTo(Delta.merge(deltas));
            });
  }

  private static List<Delta> deltasOf(List<Map<String, Object>> states) {
    List<Delta> deltas = new ArrayList<>();
    for (int i = 1; i < states.size(); i++) {
      deltas.add(Delta.diff(states.get(i - 1), states.get(i)));
    }
    return deltas;
  }
}
