package dev.chord.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Frozen maps behave as {@link HashMap} does under any sequence of puts and removes, across the
 * switch from flat arrays to tries and back, and every earlier version stays as it was.
 */
class FrozenMapsPropertiesTest {

  /** One step: put {@code key} ({@code value} may be null) or, if {@code remove}, remove it. */
  record Step(String key, Integer value, boolean remove) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<String> keys = Arbitraries.integers().between(0, 24).map(i -> "k" + i);
    Arbitrary<Integer> values = Arbitraries.integers().between(0, 3).injectNull(0.1);
    Arbitrary<Step> step =
        net.jqwik.api.Combinators.combine(keys, values, Arbitraries.of(true, false, false))
            .as(Step::new);
    return step.list().ofMaxSize(80);
  }

  @Property(tries = 300)
  void withAndWithout_matchAHashMap_andLeaveEarlierVersionsAlone(
      @ForAll("steps") List<Step> steps) {
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

  @Property(tries = 200)
  void builder_matchesAHashMap(@ForAll("steps") List<Step> steps, @ForAll boolean sizeHintLarge) {
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
        .isInstanceOfAny(UnsupportedOperationException.class, java.util.NoSuchElementException.class);
  }
}
