package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.spi.Snapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The exact shapes of the built-in formatters, with user keys that look like their syntax. */
class DeltaFormattersTest {
  /** A delta touching keys named like the formats' own fields, and ones needing escapes. */
  private static final Map<String, Object> BEFORE =
      Map.of(
          "action", "old",
          "value", Map.of("key", 1, "gone", true),
          "a/b", Map.of("~x", "t"));

  private static final Map<String, Object> AFTER =
      Map.of(
          "action", "new",
          "value", Map.of("key", 2, "action", Map.of("value", "added")),
          "a/b", Map.of("~x", "t", "old_value", List.of(1)));
  private static final DeltaRecord RECORD =
      new DeltaRecord("room:1", 7, Delta.diff(BEFORE, AFTER), 1234);

  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      out.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return out;
  }

  @Test
  void chord_anyDelta_originalShapeWithKeyPathsInOrder() {
    Map<String, Object> formatted = DeltaFormatters.chord().format(RECORD);
    assertThat(new ArrayList<>(formatted.keySet())).containsExactly("version", "changes");
    assertThat(formatted.get("version")).isEqualTo(7L);
    List<Map<String, Object>> expected =
        List.of(
            ordered(
                "key",
                List.of("a/b", "old_value"),
                "action",
                "added",
                "value",
                List.of(1L),
                "context_id",
                "room:1"),
            ordered(
                "key",
                List.of("action"),
                "action",
                "modified",
                "value",
                "new",
                "old_value",
                "old",
                "context_id",
                "room:1"),
            ordered(
                "key",
                List.of("value", "action"),
                "action",
                "added",
                "value",
                Map.of("value", "added"),
                "context_id",
                "room:1"),
            ordered(
                "key",
                List.of("value", "gone"),
                "action",
                "removed",
                "old_value",
                true,
                "context_id",
                "room:1"),
            ordered(
                "key",
                List.of("value", "key"),
                "action",
                "modified",
                "value",
                2L,
                "old_value",
                1L,
                "context_id",
                "room:1"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> changes = (List<Map<String, Object>>) formatted.get("changes");
    assertThat(changes).isEqualTo(expected);
    for (int i = 0; i < changes.size(); i++) {
      assertThat(new ArrayList<>(changes.get(i).keySet()))
          .isEqualTo(new ArrayList<>(expected.get(i).keySet()));
    }
  }

  @Test
  void chord_nullValues_keptAsExplicitNulls() {
    Map<String, Object> after = new LinkedHashMap<>();
    after.put("x", null);
    Map<String, Object> formatted =
        DeltaFormatters.chord()
            .format(new DeltaRecord("c", 2, Delta.diff(Map.of("x", 1), after), 0));
    @SuppressWarnings("unchecked")
    Map<String, Object> change = ((List<Map<String, Object>>) formatted.get("changes")).get(0);
    assertThat(change).containsEntry("value", null).containsEntry("old_value", 1L);
  }

  @Test
  void chord_emptyDelta_noChanges() {
    assertThat(DeltaFormatters.chord().format(new DeltaRecord("c", 1, Delta.empty(), 0)))
        .isEqualTo(Map.of("version", 1L, "changes", List.of()));
  }

  @Test
  void jsonPatch_anyDelta_rfc6902OpsWithEscapedPointers() {
    List<Map<String, Object>> patch = DeltaFormatters.jsonPatch().format(RECORD);
    List<Map<String, Object>> expected =
        List.of(
            ordered("op", "add", "path", "/a~1b/old_value", "value", List.of(1L)),
            ordered("op", "replace", "path", "/action", "value", "new"),
            ordered("op", "add", "path", "/value/action", "value", Map.of("value", "added")),
            ordered("op", "remove", "path", "/value/gone"),
            ordered("op", "replace", "path", "/value/key", "value", 2L));
    assertThat(patch).isEqualTo(expected);
    for (int i = 0; i < patch.size(); i++) {
      assertThat(new ArrayList<>(patch.get(i).keySet()))
          .isEqualTo(new ArrayList<>(expected.get(i).keySet()));
    }
    assertThat(JsonPatchApplier.apply(BEFORE, patch)).isEqualTo(Snapshots.freeze(AFTER));
  }

  @Test
  void jsonPatch_tildeAndSlashKeys_escapedTildeFirst() {
    Delta delta = Delta.diff(Map.of(), Map.of("~1", 1, "/", Map.of(), "", 2, "~/~", 3));
    List<String> paths =
        DeltaFormatters.jsonPatch().format(new DeltaRecord("c", 1, delta, 0)).stream()
            .map(op -> (String) op.get("path"))
            .toList();
    // Keys sorted: "", "/", "~/~", "~1".
    assertThat(paths).containsExactly("/", "/~1", "/~0~1~0", "/~01");
  }

  @Test
  void nested_anyDelta_isToMapWithLeavesToldFromUserKeys() {
    Map<String, Object> nested = DeltaFormatters.nested().format(RECORD);
    assertThat(nested).isEqualTo(RECORD.delta().toMap());
    assertThat(nested)
        .isEqualTo(
            Map.of(
                "action", Map.of("action", "modified", "old_value", "old", "value", "new"),
                "value",
                    Map.of(
                        "key", Map.of("action", "modified", "old_value", 1L, "value", 2L),
                        "gone", Map.of("action", "removed", "old_value", true),
                        "action", Map.of("action", "added", "value", Map.of("value", "added"))),
                "a/b", Map.of("old_value", Map.of("action", "added", "value", List.of(1L)))));
    @SuppressWarnings("unchecked")
    Map<String, Object> leaf = (Map<String, Object>) nested.get("action");
    assertThat(new ArrayList<>(leaf.keySet())).containsExactly("action", "old_value", "value");
  }

  @Test
  void chordFormatDelta_default_isChordFormatter() {
    try (Chord chord = Chord.inMemory()) {
      assertThat(chord.formatter()).isSameAs(DeltaFormatters.chord());
      assertThat(chord.formatDelta(RECORD)).isEqualTo(DeltaFormatters.chord().format(RECORD));
    }
    try (Chord chord = Chord.builder().formatter(DeltaFormatters.jsonPatch()).build()) {
      assertThat(chord.formatDelta(RECORD)).isEqualTo(DeltaFormatters.jsonPatch().format(RECORD));
    }
  }
}
