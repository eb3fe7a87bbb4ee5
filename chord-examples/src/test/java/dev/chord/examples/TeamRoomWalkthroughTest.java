package dev.chord.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Context;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TeamRoomWalkthroughTest {
  @Test
  void run_walksThroughEveryStep_andClientsCatchUp() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Context last =
        new TeamRoomWalkthrough(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
    String output = bytes.toString(StandardCharsets.UTF_8);

    assertThat(output)
        .contains("client state after applying it equals the server's: true")
        .contains("changed=false, version stays 4")
        .contains("Patch from version 1 to 4 with 3 change(s)")
        .contains("a client from before the room existed (version 0): Patch from version 0 to 4")
        .contains(
            "a client claiming a future version gets the full context: Full context at version 4")
        .contains("Patch from version 4 to 6 with 0 change(s)")
        .contains("data equal to the export: true")
        .contains("a client at version 6 of the old incarnation gets: Full context at version 6");
    assertThat(last.epoch()).isNotNull();
    assertThat(output)
        .doesNotContain("restored with a new epoch: " + last.epoch() + " (was " + last.epoch());
    assertThat(output.lines().filter(l -> l.matches("  v\\d+ .*")).toList())
        .extracting(l -> l.substring(2, 4))
        .containsExactly("v2", "v3", "v4", "v5", "v6");
    assertThat(last.version()).isEqualTo(6);
  }
}
