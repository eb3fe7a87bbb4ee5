package dev.chord.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Frozen maps behave as {@link HashMap} does under any sequence of puts and removes, across the
 * switch from flat arrays to tries and back, and every earlier version stays as it was
 * (QuickTheories: a failure prints the smallest falsifying steps and the seed for {@code
 * -DQT_SEED=...}).
 */
class FrozenMapsPropertiesTest {

  /** One step: put {@code key} ({@code value} may be null) or, if {@code remove}, remove it. */
  record Step(String key, Integer value, boolean remove) {}

  /**
   * Up to 80 steps over 25 keys, more than {@link FrozenMaps#SMALL}, so that runs cross the switch
   * between flat arrays and tries both ways. QuickTheories tries the empty list first.
   */
  private static Gen<List<Step>> steps() {
    Gen<String> keys = integers().between(0, 24).map(i -> "k" + i);
    Gen<Integer> values = integers().between(0, 3).toOptionals(10).map(v -> v.orElse(null));
    Gen<Boolean> removes = Generate.pick(List.of(true, false, false));
    return lists().of(keys.zip(values, removes, Step::new)).ofSizeBetween(0, 80);
  }

  @Test
  void withAndWithout_matchAHashMap_andLeaveEarlierVersionsAlone() {
    qt().withExamples(300).forAll(steps()).checkAssert(FrozenMapsPropertiesTest::matchesAHashMap);
  }

  private static void matchesAHashMap(List<Step> steps) {
    Map<String, Object> frozen = FrozenMaps.empty();
    Map<String, Object> model = new HashMap<>();
    for (Step step : steps) {
      Map<String, Object> before = frozen;
      Map<String, Object> modelBefore = new HashMap<>(model);
      if (step.remove()) {
        frozen = FrozenMaps.without(frozen, step.key());
        model.remove(step.key());
      } else {
        frozen = FrozenMaps.with(frozen, step.key(), step.value());
        model.put(step.key(), step.value());
      }
      assertThat(frozen).isEqualTo(model);
      assertThat(model).isEqualTo(frozen);
      assertThat(frozen.hashCode()).isEqualTo(model.hashCode());
      assertThat(frozen.size()).isEqualTo(model.size());
      assertThat(frozen.containsKey(step.key())).isEqualTo(model.containsKey(step.key()));
      assertThat(frozen.get(step.key())).isEqualTo(model.get(step.key()));
      assertThat(before).isEqualTo(modelBefore);
    }
  }

  @Test
  void builder_matchesAHashMap() {
    qt().withExamples(200)
        .forAll(steps(), Generate.booleans())
        .checkAssert(FrozenMapsPropertiesTest::builderMatchesAHashMap);
  }

  private static void builderMatchesAHashMap(List<Step> steps, boolean sizeHintLarge) {
    FrozenMaps.Builder builder = FrozenMaps.builder(sizeHintLarge ? 100 : 2);
    Map<String, Object> model = new HashMap<>();
    for (Step step : steps) {
      builder.put(step.key(), step.value());
      model.put(step.key(), step.value());
    }
    Map<String, Object> built = builder.build();
    assertThat(built).isEqualTo(model);
    assertThat(built.hashCode()).isEqualTo(model.hashCode());
    assertThat(built.entrySet()).hasSize(model.size());
    assertThatThrownBy(() -> built.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> built.entrySet().iterator().next().setValue(1))
        .isInstanceOfAny(
            UnsupportedOperationException.class, java.util.NoSuchElementException.class);
  }
}
