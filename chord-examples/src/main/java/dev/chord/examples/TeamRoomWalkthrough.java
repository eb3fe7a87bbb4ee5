package dev.chord.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.chord.Chord;
import dev.chord.ChordEvent;
import dev.chord.Context;
import dev.chord.ContextUpdate;
import dev.chord.DeltaFormatters;
import dev.chord.SyncResult;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Walks through Chord with a "team room": creates it, changes it bit by bit, lets clients at
 * different versions catch up, pushes changes to a subscriber, then exports, deletes and restores
 * it. Prints what happens at each step.
 *
 * <p>Run: {@code java -jar chord-examples/target/chord-examples.jar}
 */
public final class TeamRoomWalkthrough {
  private static final String ROOM = "room:launch";

  private final PrintStream out;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  TeamRoomWalkthrough(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    new TeamRoomWalkthrough(System.out).run();
  }

  /** Runs the walkthrough; returns the final context (for the example's own test). */
  Context run() throws Exception {
    Map<String, Context> savedRooms = new ConcurrentHashMap<>();
    Map<ChordEvent.Operation, LongAdder> operations = new ConcurrentHashMap<>();
    try (Chord chord =
        Chord.builder()
            .deltaThreshold(100)
            .exporter(context -> savedRooms.put(context.contextId(), context))
            .externalProvider(id -> Optional.ofNullable(savedRooms.get(id)))
            .listener(
                e -> operations.computeIfAbsent(e.operation(), k -> new LongAdder()).increment())
            .build()) {

      step("1. setContext creates the room at version 1");
      ContextUpdate created = chord.setContext(ROOM, teamRoom());
      show("context", created.context());
      show(
          "its delta, as clients get it (DeltaFormatters.chord())",
          chord.formatDelta(created.deltaRecord()));

      step("2. A client that has nothing syncs: it gets the whole context");
      SyncResult first = chord.syncContext(ROOM, null);
      out.println("  " + describe(first));
      long clientVersion = first.version();
      String clientEpoch = first.epoch();
      out.println(
          "  the client keeps (epoch, version) = (" + clientEpoch + ", " + clientVersion + ")");

      step("3. A subscriber starts listening for every change from now on");
      List<String> pushed = new ArrayList<>();
      AutoCloseable subscription =
          chord.subscribe(
              ROOM, record -> pushed.add("v" + record.version() + " " + record.delta().changes()));

      step("4. Partial updates: updateContext deep-merges just the changed fields");
      ContextUpdate away =
          chord.updateContext(
              ROOM, Map.of("participants", Map.of("user_2", Map.of("status", "away"))));
      show("delta of version " + away.context().version(), away.delta().toMap());
      ContextUpdate typing =
          chord.updateContext(
              ROOM, Map.of("participants", Map.of("user_1", Map.of("typing", true))));
      show(
          "delta of version " + typing.context().version() + " as JSON Patch",
          DeltaFormatters.jsonPatch().format(typing.deltaRecord()));
      ContextUpdate message =
          chord.updateContext(
              ROOM,
              Map.of(
                  "chat_history",
                  List.of(Map.of("sender_id", "user_1", "content", "Ready to ship?"))));
      out.println("  version is now " + message.context().version());
      ContextUpdate again =
          chord.updateContext(
              ROOM, Map.of("participants", Map.of("user_1", Map.of("typing", true))));
      out.println(
          "  the same update again changes nothing: changed="
              + again.changed()
              + ", version stays "
              + again.context().version());

      step("5. The client from step 2 syncs from version " + clientVersion + ": one merged patch");
      SyncResult catchUp = chord.syncContext(ROOM, clientVersion, clientEpoch);
      out.println("  " + describe(catchUp));
      if (catchUp instanceof SyncResult.Patch patch) {
        show("merged delta", patch.delta().toMap());
        Map<String, Object> clientState =
            patch
                .delta()
                .applyTo(first instanceof SyncResult.Full full ? full.context().data() : Map.of());
        out.println(
            "  client state after applying it equals the server's: "
                + clientState.equals(chord.getContext(ROOM).orElseThrow().data()));
      }
      out.println(
          "  a client at the current version: "
              + describe(chord.syncContext(ROOM, catchUp.version(), catchUp.epoch())));
      out.println(
          "  a client from before the room existed (version 0): "
              + describe(chord.syncContext(ROOM, 0L)));
      out.println(
          "  a client claiming a future version gets the full context: "
              + describe(chord.syncContext(ROOM, catchUp.version() + 10)));

      step("6. A change and its undo cancel out in the merged patch");
      long beforeUndo = chord.getContext(ROOM).orElseThrow().version();
      chord.updateContext(ROOM, Map.of("metadata", Map.of("topic", "Launch (moved)")));
      chord.updateContext(ROOM, Map.of("metadata", Map.of("topic", "Launch review")));
      out.println("  " + describe(chord.syncContext(ROOM, beforeUndo)));

      subscription.close();
      step("7. What the subscriber received, in version order");
      pushed.forEach(line -> out.println("  " + line));

      step("8. Export, delete, restore");
      chord.exportContext(ROOM);
      Context exported = savedRooms.get(ROOM);
      out.println("  exported version " + exported.version());
      chord.deleteContext(ROOM);
      out.println("  after delete, getContext is present: " + chord.getContext(ROOM).isPresent());
      Context restored = chord.restoreContext(ROOM);
      out.println(
          "  restored at version "
              + restored.version()
              + ", data equal to the export: "
              + restored.data().equals(exported.data()));
      out.println(
          "  restored with a new epoch: " + restored.epoch() + " (was " + clientEpoch + ")");
      out.println(
          "  a client at version "
              + restored.version()
              + " of the old incarnation gets: "
              + describe(chord.syncContext(ROOM, restored.version(), clientEpoch)));

      step("9. Telemetry: operations observed by the listener");
      Map<String, Long> counts = new LinkedHashMap<>();
      operations.forEach((op, n) -> counts.put(op.tag(), n.sum()));
      out.println("  " + new java.util.TreeMap<>(counts));
      return chord.getContext(ROOM).orElseThrow();
    }
  }

  private static Map<String, Object> teamRoom() {
    Map<String, Object> participants = new LinkedHashMap<>();
    for (int i = 1; i <= 3; i++) {
      participants.put(
          "user_" + i,
          Map.of(
              "user_id",
              "user_" + i,
              "username",
              "User " + i,
              "status",
              "active",
              "typing",
              false));
    }
    return Map.of(
        "group_id",
        "launch",
        "group_name",
        "Launch team",
        "participants",
        participants,
        "metadata",
        Map.of("topic", "Launch review", "created_by", "user_1"),
        "chat_history",
        List.of());
  }

  private String describe(SyncResult result) {
    if (result instanceof SyncResult.Full full) {
      return "Full context at version "
          + full.version()
          + " ("
          + full.context().data().size()
          + " top-level keys)";
    }
    if (result instanceof SyncResult.Patch patch) {
      return "Patch from version "
          + patch.fromVersion()
          + " to "
          + patch.version()
          + " with "
          + patch.delta().changeCount()
          + " change(s)";
    }
    return "No change (version " + result.version() + ")";
  }

  private void step(String title) {
    out.println();
    out.println("== " + title);
  }

  private void show(String label, Object value) throws JsonProcessingException {
    out.println("  " + label + ":");
    for (String line : json.writeValueAsString(value).split("\n")) {
      out.println("    " + line);
    }
  }
}
