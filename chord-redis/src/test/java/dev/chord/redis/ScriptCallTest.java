package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Context;
import dev.chord.spi.Snapshots;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java and Lua sides name the script's arguments alike: every named setter fills the slot
 * chord.lua's header lists under that name, and wherever the script binds that slot, it binds it to
 * a local of that name.
 */
class ScriptCallTest {
  private static final Pattern HEADER = Pattern.compile("^-- +(\\d+) (\\w+) ", Pattern.MULTILINE);
  private static final Pattern BINDING =
      Pattern.compile("^ *local ([\\w, ]+) = (.+)$", Pattern.MULTILINE);
  private static final Pattern ARGV = Pattern.compile("ARGV\\[(\\d+)]");

  @Test
  void everySetter_fillsTheSlotTheScriptHeaderNames_andTheScriptBindsIt() throws IOException {
    String lua = script();
    Map<String, Integer> header = new LinkedHashMap<>();
    Matcher m = HEADER.matcher(lua);
    while (m.find()) {
      header.put(m.group(2), Integer.parseInt(m.group(1)));
    }
    assertThat(header).hasSize(17);

    Map<String, Integer> bound = new HashMap<>();
    Matcher b = BINDING.matcher(lua);
    while (b.find()) {
      List<String> names = Arrays.asList(b.group(1).split(", "));
      Matcher argv = ARGV.matcher(b.group(2));
      for (int i = 0; argv.find(); i++) {
        Integer slot = Integer.parseInt(argv.group(1));
        Integer before = bound.put(names.get(i), slot);
        assertThat(before).as("%s bound to two slots", names.get(i)).isIn(null, slot);
      }
    }
    assertThat(bound).isEqualTo(header);

    Context held = new Context("c", 7, Snapshots.freeze(Map.of()), 0, "heldEpoch");
    Map<String, UnaryOperator<ScriptCall>> setters = new LinkedHashMap<>();
    setters.put("knownVersion", c -> c.known(held));
    setters.put("knownEpoch", c -> c.known(held));
    setters.put("maxBehind", c -> c.maxBehind(11));
    setters.put("withData", c -> c.withData(true));
    setters.put("expectedVersion", c -> c.expectedVersion(12));
    setters.put("expectedEpoch", c -> c.expectedEpoch("expectedEpoch"));
    setters.put("version", c -> c.version(13));
    setters.put("epoch", c -> c.epoch("newEpoch"));
    setters.put("insertedAt", c -> c.insertedAt(14));
    setters.put("maxDeltas", c -> c.maxDeltas(15));
    setters.put("afterVersion", c -> c.afterVersion(16));
    setters.put("insertedBefore", c -> c.insertedBefore(17));
    setters.put("id", c -> c.id("the-id"));
    setters.put("channel", c -> c.channel("the-channel"));
    setters.put("message", c -> c.message("the-message"));
    setters.put("deleteCount", c -> c.deletes(List.of("/x", "/y")));
    Map<String, String> expected =
        Map.ofEntries(
            Map.entry("knownVersion", "7"),
            Map.entry("knownEpoch", "heldEpoch"),
            Map.entry("maxBehind", "11"),
            Map.entry("withData", "1"),
            Map.entry("expectedVersion", "12"),
            Map.entry("expectedEpoch", "expectedEpoch"),
            Map.entry("version", "13"),
            Map.entry("epoch", "newEpoch"),
            Map.entry("insertedAt", "14"),
            Map.entry("maxDeltas", "15"),
            Map.entry("afterVersion", "16"),
            Map.entry("insertedBefore", "17"),
            Map.entry("id", "the-id"),
            Map.entry("channel", "the-channel"),
            Map.entry("message", "the-message"),
            Map.entry("deleteCount", "2"));
    assertThat(setters.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
    setters.forEach(
        (name, setter) -> {
          String[] argv = setter.apply(new ScriptCall(ScriptCall.Op.GET, new String[0])).argv();
          assertThat(argv[header.get(name) - 1]).as(name).isEqualTo(expected.get(name));
        });
  }

  @Test
  void argv_sendsUnsetSlotsEmpty_thenTheFieldsToDelete_thenThePairsToSet() {
    String[] argv =
        new ScriptCall(ScriptCall.Op.COMMIT, new String[] {"m", "d", "l"})
            .deletes(List.of("/gone"))
            .sets(List.of("/a", "1", "/b", "{}"))
            .argv();
    assertThat(argv[0]).isEqualTo("commit");
    assertThat(Arrays.copyOfRange(argv, 1, 16)).containsOnly("");
    assertThat(Arrays.copyOfRange(argv, 16, argv.length))
        .containsExactly("1", "/gone", "/a", "1", "/b", "{}");
  }

  @Test
  void argv_leavesOutTheUnsetSlotsAfterTheLastSetOne() {
    Context held = new Context("c", 7, Snapshots.freeze(Map.of()), 0, "heldEpoch");
    assertThat(new ScriptCall(ScriptCall.Op.GET, new String[0]).known(held).maxBehind(64).argv())
        .containsExactly("get", "7", "heldEpoch", "64");
    assertThat(new ScriptCall(ScriptCall.Op.TRIM, new String[0]).insertedBefore(5).argv())
        .hasSize(13)
        .endsWith("5");
    assertThat(new ScriptCall(ScriptCall.Op.RESTORE, new String[0]).argv())
        .containsExactly("restore");
  }

  private static String script() throws IOException {
    try (InputStream in = ScriptCall.class.getResourceAsStream("chord.lua")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
