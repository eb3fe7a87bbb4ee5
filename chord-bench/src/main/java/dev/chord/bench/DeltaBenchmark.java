package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.Delta;
import dev.chord.DeltaFormatters;
import dev.chord.DeltaRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The delta engine on its own: {@code Delta.diff} of two 50-participant rooms (plain maps, as a
 * caller passes them, so validation and freezing are included), {@code Delta.merge} of the 100
 * deltas of 100 consecutive one-participant updates, and the {@code chord()} and {@code
 * jsonPatch()} formatters of a delta with 50 changes (every participant's status).
 *
 * <pre>java -jar chord-bench/target/benchmarks.jar DeltaBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DeltaBenchmark {
  private Map<String, Object> before;
  private Map<String, Object> after;
  private List<Delta> hundredDeltas;
  private DeltaRecord fiftyChanges;

  @Setup
  @SuppressWarnings("unchecked")
  public void setUp() throws InterruptedException {
    before = TeamRoom.room("room");
    Thread.sleep(2); // the second room's timestamps must differ
    after = TeamRoom.room("room");

    try (Chord chord = Chord.inMemory()) {
      chord.setContext("room", before);
      StatusChanges changes = new StatusChanges(TeamRoom.PARTICIPANTS, "");
      hundredDeltas = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        hundredDeltas.add(chord.updateContext("room", changes.next()).delta());
      }
    }

    Map<String, Object> allAway = new HashMap<>(before);
    Map<String, Object> participants = new HashMap<>();
    ((Map<String, Object>) before.get("participants"))
        .forEach(
            (id, user) -> {
              Map<String, Object> changed = new HashMap<>((Map<String, Object>) user);
              changed.put("status", "in a meeting");
              participants.put(id, changed);
            });
    allAway.put("participants", participants);
    Delta delta = Delta.diff(before, allAway);
    if (delta.changeCount() != TeamRoom.PARTICIPANTS) {
      throw new IllegalStateException("expected 50 changes, got " + delta.changeCount());
    }
    fiftyChanges = new DeltaRecord("room", 2, delta, 0);
  }

  @Benchmark
  public Delta diff() {
    return Delta.diff(before, after);
  }

  @Benchmark
  public Delta merge100() {
    return Delta.merge(hundredDeltas);
  }

  @Benchmark
  public Object formatChord50() {
    return DeltaFormatters.chord().format(fiftyChanges);
  }

  @Benchmark
  public Object formatJsonPatch50() {
    return DeltaFormatters.jsonPatch().format(fiftyChanges);
  }
}
