package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.ContextUpdate;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.organicdesign.fp.collections.ImMap;
import org.organicdesign.fp.collections.PersistentHashMap;

/**
 * One {@code updateContext} that sets one participant's status, in rooms of 10 to 100,000
 * participants (in-memory backend, one thread). The target: no growth beyond cache effects,
 * at most 1 µs at 10,000 participants.
 *
 * <p>{@link #persistentMapFloor} is the memory floor of the same step: the same room as nested
 * Paguro persistent hash maps (the structure the core stores), and one nested {@code assoc} of the
 * same participant's status at the same scattered participants — no delta, no version, no backend.
 * How far {@link #updateStatus} is above it is what Chord adds.
 *
 * <pre>java -jar chord-bench/target/benchmarks.jar UpdateBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class UpdateBenchmark {
  private static final String ROOM = "room";

  @Param({"10", "50", "100", "1000", "10000", "100000"})
  public int participants;

  private Chord chord;
  private StatusChanges changes;

  @Setup
  public void setUp() {
    chord = Chord.inMemory();
    chord.setContext(ROOM, TeamRoom.room(ROOM, participants));
    changes = new StatusChanges(participants, "");
  }

  @TearDown
  public void tearDown() {
    chord.close();
  }

  @Benchmark
  public ContextUpdate updateStatus() {
    return chord.updateContext(ROOM, changes.next());
  }

  @Benchmark
  public ImMap<String, Object> persistentMapFloor(Floor floor) {
    return floor.next();
  }

  /** The room as nested persistent maps, and the same ring of status changes. */
  @State(Scope.Benchmark)
  public static class Floor {
    @Param({"10", "50", "100", "1000", "10000", "100000"})
    public int participants;

    private ImMap<String, Object> room;
    private String[] participantIds;
    private String[] statuses;
    private int next;

    @Setup
    public void setUp() {
      room = persistent(TeamRoom.room(ROOM, participants));
      StatusChanges ring = new StatusChanges(participants, "");
      int length = ring.length();
      participantIds = new String[length];
      statuses = new String[length];
      for (int j = 0; j < length; j++) {
        Map<?, ?> change = (Map<?, ?>) ring.next().get("participants");
        Map.Entry<?, ?> only = change.entrySet().iterator().next();
        participantIds[j] = (String) only.getKey();
        statuses[j] = (String) ((Map<?, ?>) only.getValue()).get("status");
      }
    }

    /** Sets the next participant's status: the nested {@code assoc} a one-field update needs. */
    @SuppressWarnings("unchecked")
    ImMap<String, Object> next() {
      int j = next;
      next = j + 1 == participantIds.length ? 0 : j + 1;
      ImMap<String, Object> all = (ImMap<String, Object>) room.get("participants");
      ImMap<String, Object> one = (ImMap<String, Object>) all.get(participantIds[j]);
      room =
          room.assoc(
              "participants", all.assoc(participantIds[j], one.assoc("status", statuses[j])));
      return room;
    }

    @SuppressWarnings("unchecked")
    private static ImMap<String, Object> persistent(Map<String, Object> map) {
      ImMap<String, Object> out = PersistentHashMap.empty();
      for (Map.Entry<String, Object> e : map.entrySet()) {
        Object value = e.getValue();
        out =
            out.assoc(
                e.getKey(), value instanceof Map ? persistent((Map<String, Object>) value) : value);
      }
      return out;
    }
  }
}
