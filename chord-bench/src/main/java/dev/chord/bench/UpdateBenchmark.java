package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.ContextUpdate;
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

/**
 * One {@code updateContext} that sets one participant's status, in rooms of 10 to 100,000
 * participants (in-memory backend, one thread). The target: no growth beyond cache effects,
 * at most 1 µs at 10,000 participants.
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
}
