package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.memory.InMemoryBackend;
import java.nio.file.Path;
import org.openjdk.jol.info.GraphLayout;

/**
 * Bytes retained by the in-memory backend, measured with JOL by walking the backend's object graph
 * (each object counted once, shared structure included once):
 *
 * <ul>
 *   <li>per context: {@value #ROOMS} (or {@code --rooms}) 50-participant rooms, each with its one
 *       stored delta (the creation delta, which shares the room's values), minus the empty backend,
 *       divided by the number of rooms;
 *   <li>per stored delta: one room after {@value #UPDATES} (or {@code --updates}) one-participant
 *       status updates, kept with all its deltas, minus the same room kept with one delta, divided
 *       by the difference in deltas. A delta's share includes its record, its change tree and the
 *       old values that only it still references.
 * </ul>
 *
 * <pre>java -cp chord-bench/target/benchmarks.jar dev.chord.bench.MemoryFootprint --out m.json
 * </pre>
 */
public final class MemoryFootprint {
  static final int ROOMS = 200;
  static final int UPDATES = 10_000;

  /** The measured figures. */
  record Report(int rooms, long bytesPerContext, int deltas, long bytesPerDelta, String method) {}

  private MemoryFootprint() {}

  public static void main(String[] args) throws Exception {
    // Records defeat JOL's default field-offset lookup (sun.misc.Unsafe refuses them).
    System.setProperty("jol.magicFieldOffset", "true");
    Args parsed = new Args(args);
    Path out = Path.of(parsed.text("--out", "bench/results/memory.json"));
    Report report = measure(parsed.integer("--rooms", ROOMS), parsed.integer("--updates", UPDATES));
    ScenarioRunner.write(report, out);
    System.out.printf(
        "per context (50 participants): %,d bytes; per stored delta: %,d bytes%n",
        report.bytesPerContext(), report.bytesPerDelta());
  }

  static Report measure(int roomCount, int updates) {
    InMemoryBackend rooms = InMemoryBackend.create();
    long empty = retained(rooms);
    try (Chord chord = Chord.builder().backend(rooms).build()) {
      for (int i = 0; i < roomCount; i++) {
        chord.setContext("group:" + i, TeamRoom.room("group:" + i));
      }
      long perContext = (retained(rooms) - empty) / roomCount;

      InMemoryBackend all = InMemoryBackend.create();
      InMemoryBackend one = InMemoryBackend.create();
      try (Chord keepAll = Chord.builder().backend(all).deltaThreshold(updates + 1).build();
          Chord keepOne = Chord.builder().backend(one).deltaThreshold(1).build()) {
        keepAll.setContext("room", TeamRoom.room("room"));
        keepOne.setContext("room", keepAll.getContext("room").orElseThrow().data());
        StatusChanges changes = new StatusChanges(TeamRoom.PARTICIPANTS, "");
        for (int i = 0; i < updates; i++) {
          var change = changes.next();
          keepAll.updateContext("room", change);
          keepOne.updateContext("room", change);
        }
        long perDelta = (retained(all) - retained(one)) / updates;
        return new Report(roomCount, perContext, updates, perDelta, "JOL GraphLayout.totalSize");
      }
    }
  }

  private static long retained(Object root) {
    return GraphLayout.parseInstance(root).totalSize();
  }
}
