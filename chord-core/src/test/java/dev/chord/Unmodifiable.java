package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Checks that a JSON-like tree refuses every mutator, at every level, and is left unchanged. */
final class Unmodifiable {
  private Unmodifiable() {}

  static void assertDeeplyUnmodifiable(Object tree) {
    Object before = JsonTrees.copyValue(tree);
    check(tree);
    assertThat(tree).isEqualTo(before);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void check(Object value) {
    if (value instanceof Map<?, ?> raw) {
      Map<String, Object> map = (Map<String, Object>) raw;
      refuses(() -> map.put("new", 1L));
      refuses(() -> map.putAll(Map.of("new", 1L)));
      refuses(() -> map.remove("absent"));
      refuses(map::clear);
      refuses(() -> map.putIfAbsent("new", 1L));
      refuses(() -> map.computeIfAbsent("new", k -> 1L));
      refuses(() -> map.merge("new", 1L, (a, b) -> b));
      refuses(() -> map.keySet().add("new"));
      refuses(() -> map.keySet().removeIf(k -> true));
      refuses(() -> map.values().clear());
      refuses(() -> map.entrySet().clear());
      if (!map.isEmpty()) {
        String key = map.keySet().iterator().next();
        refuses(() -> map.remove(key));
        refuses(() -> map.put(key, "changed"));
        refuses(() -> map.replace(key, "changed"));
        refuses(() -> map.compute(key, (k, v) -> "changed"));
        refuses(() -> map.replaceAll((k, v) -> "changed"));
        refuses(() -> map.keySet().remove(key));
        refuses(() -> map.values().remove(map.get(key)));
        refuses(() -> map.entrySet().iterator().next().setValue("changed"));
        refuses(
            () -> {
              Iterator<?> it = map.entrySet().iterator();
              it.next();
              it.remove();
            });
        refuses(
            () -> {
              Iterator<?> it = map.keySet().iterator();
              it.next();
              it.remove();
            });
      }
      map.values().forEach(Unmodifiable::check);
    } else if (value instanceof List<?> raw) {
      List<Object> list = (List<Object>) raw;
      refuses(() -> list.add("new"));
      refuses(() -> list.addAll(List.of("new")));
      refuses(list::clear);
      refuses(() -> list.removeIf(x -> true));
      refuses(() -> list.remove("absent"));
      if (!list.isEmpty()) {
        refuses(() -> list.set(0, "changed"));
        refuses(() -> list.remove(0));
        refuses(() -> list.replaceAll(x -> "changed"));
        refuses(() -> list.sort(null));
        refuses(() -> list.subList(0, 1).clear());
        refuses(
            () -> {
              ListIterator<Object> it = list.listIterator();
              it.next();
              it.set("changed");
            });
        refuses(
            () -> {
              Iterator<Object> it = list.iterator();
              it.next();
              it.remove();
            });
      }
      list.forEach(Unmodifiable::check);
    }
  }

  private static void refuses(ThrowingCallable mutation) {
    assertThatThrownBy(mutation).isInstanceOf(UnsupportedOperationException.class);
  }
}
