package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Data in and out: normalization, snapshots, and rejection of anything that is not JSON-like. */
class ChordDataTest {
  private final Chord chord =
      Chord.builder().exporter(c -> {}).externalProvider(id -> Optional.empty()).build();

  @AfterEach
  void close() {
    chord.close();
  }

  // ---- normalization ----

  @Test
  void setContext_integralNumbers_becomeLong() {
    Map<String, Object> data =
        chord
            .setContext(
                "c", Map.of("i", 1, "s", (short) 2, "b", (byte) 3, "l", 4L, "list", List.of(5)))
            .context()
            .data();
    assertThat(data).isEqualTo(Map.of("i", 1L, "s", 2L, "b", 3L, "l", 4L, "list", List.of(5L)));
    assertThat(data.get("i")).isInstanceOf(Long.class);
    assertThat(((List<?>) data.get("list")).get(0)).isInstanceOf(Long.class);
  }

  @Test
  void setContext_float_becomesDoubleThroughItsDecimalForm() {
    Map<String, Object> data =
        chord
            .setContext("c", Map.of("f", 0.1f, "d", 0.1d, "n", Map.of("f", 2.5f)))
            .context()
            .data();
    assertThat(data.get("f")).isEqualTo(0.1d);
    assertThat(data.get("d")).isEqualTo(0.1d);
    assertThat(data.get("n")).isEqualTo(Map.of("f", 2.5d));
  }

  @Test
  void setContext_bigNumbers_keptWithTheirScale() {
    BigInteger big = BigInteger.TEN.pow(40);
    Map<String, Object> data =
        chord.setContext("c", Map.of("d", new BigDecimal("1.50"), "i", big)).context().data();
    assertThat(data.get("d")).isInstanceOf(BigDecimal.class);
    assertThat(((BigDecimal) data.get("d")).scale()).isEqualTo(2);
    assertThat(data.get("d")).isEqualTo(new BigDecimal("1.50"));
    assertThat(data.get("i")).isEqualTo(big);
    // Scale is part of the value: 1.50 → 1.5 is a change.
    assertThat(chord.setContext("c", Map.of("d", new BigDecimal("1.5"), "i", big)).changed())
        .isTrue();
  }

  @Test
  void updateContext_integerOverLong_isNoChange() {
    chord.setContext("c", Map.of("n", 1L));
    ContextUpdate update = chord.updateContext("c", Map.of("n", 1));
    assertThat(update.changed()).isFalse();
    assertThat(update.context().version()).isEqualTo(1);
  }

  // ---- snapshots ----

  @Test
  void getContext_data_unmodifiableAtEveryLevel() {
    chord.setContext("c", nestedSample());
    Unmodifiable.assertDeeplyUnmodifiable(chord.getContext("c").orElseThrow().data());
  }

  @Test
  void everyHandOut_unmodifiableAtEveryLevel() {
    ContextUpdate created = chord.setContext("c", nestedSample());
    ContextUpdate updated =
        chord.updateContext("c", Map.of("m", Map.of("inner", Map.of("z", List.of(Map.of())))));
    Unmodifiable.assertDeeplyUnmodifiable(created.context().data());
    Unmodifiable.assertDeeplyUnmodifiable(updated.context().data());
    Unmodifiable.assertDeeplyUnmodifiable(updated.delta().toMap());
    Unmodifiable.assertDeeplyUnmodifiable(updated.delta().changes());
    for (Change change : updated.delta().changes()) {
      Unmodifiable.assertDeeplyUnmodifiable(change.path());
      Unmodifiable.assertDeeplyUnmodifiable(change.value());
    }
    SyncResult.Full full = (SyncResult.Full) chord.syncContext("c", null);
    Unmodifiable.assertDeeplyUnmodifiable(full.context().data());
    SyncResult.Patch patch = (SyncResult.Patch) chord.syncContext("c", 0L);
    Unmodifiable.assertDeeplyUnmodifiable(patch.delta().toMap());
    Unmodifiable.assertDeeplyUnmodifiable(patch.delta().applyTo(Map.of()));
    Unmodifiable.assertDeeplyUnmodifiable(Delta.diff(Map.of(), nestedSample()).applyTo(Map.of()));
    DeltaRecord record = updated.deltaRecord();
    Unmodifiable.assertDeeplyUnmodifiable(DeltaFormatters.chord().format(record));
    Unmodifiable.assertDeeplyUnmodifiable(DeltaFormatters.jsonPatch().format(record));
    Unmodifiable.assertDeeplyUnmodifiable(DeltaFormatters.nested().format(record));
  }

  @Test
  void snapshot_laterUpdates_neverChangeIt() {
    Map<String, Object> input = new HashMap<>(nestedSample());
    Map<String, Object> first = chord.setContext("c", input).context().data();
    Map<String, Object> expected = JsonTrees.copy(first);
    Map<String, Object> read = chord.getContext("c").orElseThrow().data();
    input.put("a", "mutated after set"); // the caller's map is copied, not kept
    chord.updateContext("c", Map.of("m", Map.of("inner", Map.of("x", "new")), "a", 99));
    chord.updateContext("c", Map.of("list", List.of()));
    chord.setContext("c", Map.of("other", true));
    assertThat(first).isEqualTo(expected);
    assertThat(read).isEqualTo(expected);
    assertThat(chord.getContext("c").orElseThrow().data()).isEqualTo(Map.of("other", true));
  }

  @Test
  void updateContext_callerMutatesChangesAfterwards_storedUnaffected() {
    chord.setContext("c", Map.of());
    List<Object> list = new ArrayList<>(List.of(1));
    Map<String, Object> inner = new HashMap<>(Map.of("k", "v"));
    chord.updateContext("c", Map.of("list", list, "inner", inner));
    list.add(2);
    inner.put("k2", "v2");
    assertThat(chord.getContext("c").orElseThrow().data())
        .isEqualTo(Map.of("list", List.of(1L), "inner", Map.of("k", "v")));
  }

  private static Map<String, Object> nestedSample() {
    return Map.of(
        "a",
        1,
        "m",
        Map.of("inner", Map.of("x", "y"), "empty", Map.of()),
        "list",
        List.of(1, Map.of("in", List.of("deep")), List.of()));
  }

  // ---- rejection of bad data: IllegalArgumentException naming the path, nothing stored ----

  static Stream<Arguments> badData() {
    Map<String, Object> cycle = new HashMap<>();
    cycle.put("self", cycle);
    List<Object> listCycle = new ArrayList<>();
    listCycle.add(listCycle);
    Map<Object, Object> intKey = new HashMap<>();
    intKey.put(7, "x");
    Map<String, Object> nullKey = new HashMap<>();
    nullKey.put(null, "x");
    return Stream.of(
        Arguments.of("object", Map.of("a", Map.of("b", new Object())), "/a/b"),
        Arguments.of("char", Map.of("ch", 'c'), "/ch"),
        Arguments.of("date", Map.of("d", new Date()), "/d"),
        Arguments.of("set", Map.of("s", Set.of(1)), "/s"),
        Arguments.of("array", Map.of("arr", new int[] {1}), "/arr"),
        Arguments.of("atomic", Map.of("n", new AtomicInteger(1)), "/n"),
        Arguments.of("optional", Map.of("o", Optional.of(1)), "/o"),
        Arguments.of("NaN", Map.of("x", List.of(1.0, Double.NaN)), "/x/1"),
        Arguments.of("+Infinity", Map.of("x", Double.POSITIVE_INFINITY), "/x"),
        Arguments.of("-Infinity float", Map.of("x", Float.NEGATIVE_INFINITY), "/x"),
        Arguments.of("NaN float", Map.of("a/b", Map.of("~", Float.NaN)), "/a~1b/~0"),
        Arguments.of("non-String key", Map.of("m", intKey), "/m"),
        Arguments.of("null key", Map.of("m", nullKey), "/m"),
        Arguments.of("cycle", Map.of("c", cycle), "/c/self"),
        Arguments.of("list cycle", Map.of("l", listCycle), "/l/0"),
        Arguments.of("depth 65", nest(65), "/k/k/k"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badData")
  void setContext_badData_rejectedNamingPath_nothingStored(
      String what, Map<String, Object> data, String path) {
    assertThatThrownBy(() -> chord.setContext("new", data))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(path);
    assertThat(chord.getContext("new")).isEmpty();

    Context before = chord.setContext("old", Map.of("keep", 1)).context();
    assertThatThrownBy(() -> chord.setContext("old", data))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(path);
    assertThatThrownBy(() -> chord.updateContext("old", data))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(path);
    assertThat(chord.getContext("old")).contains(before);
    assertThat(chord.syncContext("old", 1L)).isEqualTo(new SyncResult.NoChange(1, before.epoch()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badData")
  void deltaDiffAndApply_badData_rejectedNamingPath(
      String what, Map<String, Object> data, String path) {
    assertThatThrownBy(() -> Delta.diff(Map.of(), data))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(path);
    assertThatThrownBy(() -> Delta.empty().applyTo(data))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(path);
  }

  @Test
  void setContext_nullData_rejected() {
    assertThatThrownBy(() -> chord.setContext("c", null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(chord.getContext("c")).isEmpty();
  }

  @Test
  void setContext_depthExactly64_accepted() {
    Map<String, Object> data = nest(64);
    Context context = chord.setContext("c", data).context();
    assertThat(context.data()).isEqualTo(data);
    assertThat(chord.updateContext("c", nest(64)).changed()).isFalse();
  }

  @Test
  void setContext_depth64CountingLists_acceptedAnd65Rejected() {
    assertThat(chord.setContext("c", Map.of("l", nestLists(63))).changed()).isTrue();
    assertThatThrownBy(() -> chord.setContext("c", Map.of("l", nestLists(64))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("64");
  }

  @Test
  void setContext_sharedSubtreeNotACycle_accepted() {
    Map<String, Object> shared = Map.of("x", 1);
    assertThat(chord.setContext("c", Map.of("a", shared, "b", List.of(shared, shared))).changed())
        .isTrue();
  }

  /** {@code levels} maps nested: the root counts as one. */
  static Map<String, Object> nest(int levels) {
    Map<String, Object> map = Map.of("leaf", true);
    for (int i = 1; i < levels; i++) {
      map = Map.of("k", map);
    }
    return map;
  }

  /** {@code levels} lists nested inside each other. */
  private static List<Object> nestLists(int levels) {
    List<Object> list = List.of("leaf");
    for (int i = 1; i < levels; i++) {
      list = List.of(list);
    }
    return list;
  }

  // ---- context ids, for every operation ----

  static Stream<Arguments> badIds() {
    return Stream.of(
        Arguments.of("null", null, "null"),
        Arguments.of("empty", "", "blank"),
        Arguments.of("blank", " \t ", "blank"),
        Arguments.of("513 chars", "x".repeat(513), "513"));
  }

  static Stream<Arguments> operations() {
    return Stream.<Map.Entry<String, BiConsumer<Chord, String>>>of(
            Map.entry("setContext", (c, id) -> c.setContext(id, Map.of())),
            Map.entry("updateContext", (c, id) -> c.updateContext(id, Map.of())),
            Map.entry("getContext", (c, id) -> c.getContext(id)),
            Map.entry("syncContext", (c, id) -> c.syncContext(id, 0L)),
            Map.entry("deleteContext", (c, id) -> c.deleteContext(id)),
            Map.entry("exportContext", (c, id) -> c.exportContext(id)),
            Map.entry("restoreContext", (c, id) -> c.restoreContext(id)),
            Map.entry("subscribe", (c, id) -> c.subscribe(id, r -> {})))
        .flatMap(
            op ->
                badIds()
                    .map(
                        id ->
                            Arguments.of(
                                op.getKey(),
                                id.get()[0],
                                id.get()[1],
                                id.get()[2],
                                op.getValue())));
  }

  @ParameterizedTest(name = "{0} with {1} id")
  @MethodSource("operations")
  void operation_badId_rejectedNamingIt(
      String operation, String what, String id, String mention, BiConsumer<Chord, String> call) {
    assertThatThrownBy(() -> call.accept(chord, id))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("context id")
        .hasMessageContaining(mention);
    assertThat(chord.cleanup()).isEqualTo(new CleanupReport(0, 0));
  }

  @Test
  void setContext_idOf512Chars_accepted() {
    String id = "é".repeat(512);
    assertThat(chord.setContext(id, Map.of("a", 1)).context().contextId()).isEqualTo(id);
    assertThat(chord.getContext(id)).isPresent();
    assertThat(chord.syncContext(id, 0L)).isInstanceOf(SyncResult.Patch.class);
    chord.deleteContext(id);
    assertThat(chord.getContext(id)).isEmpty();
  }

  @Test
  void syncContext_negativeVersion_rejectedNamingIt() {
    chord.setContext("c", Map.of());
    assertThatThrownBy(() -> chord.syncContext("c", -1L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> chord.syncContext("absent", -5L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-5");
  }

  @Test
  void writes_unpairedSurrogates_areRefusedAndNothingIsStored() {
    chord.setContext("room", Map.of("a", 1));

    assertThatThrownBy(() -> chord.setContext("room", Map.of("a", "x\uD800y")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate");
    assertThatThrownBy(() -> chord.updateContext("room", Map.of("k\uDC00", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate");
    assertThatThrownBy(() -> chord.updateContext("room", Map.of("list", List.of("ok", "\uDBFF"))))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(chord.getContext("room").orElseThrow().version()).isEqualTo(1);
    assertThat(chord.updateContext("room", Map.of("emoji", "\uD83D\uDE00")).context().version())
        .as("a surrogate pair is fine")
        .isEqualTo(2);
  }

  @Test
  void ids_withNulOrUnpairedSurrogates_areRefused() {
    for (String id : List.of("a\u0000b", "a\uD800", "\uDC00b")) {
      assertThatThrownBy(() -> chord.setContext(id, Map.of("a", 1)))
          .as(id)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("context id");
    }
    assertThat(chord.setContext("a\uD83D\uDE00", Map.of("a", 1)).context().version()).isEqualTo(1);
  }
}
