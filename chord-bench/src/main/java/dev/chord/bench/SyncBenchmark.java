package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.SyncResult;
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
 * {@code syncContext} of a client 1, 10 or 100 versions behind, with 100 or 10,000 deltas stored
 * ({@code deltaThreshold} set to the number stored), in the 50-participant room; every stored delta
 * is a one-participant status change. The answer is always a Patch. The target: the cost
 * follows the versions behind, not the history stored (at most 2× from 100 to 10,000 stored).
 *
 * <pre>java -jar chord-bench/target/benchmarks.jar SyncBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SyncBenchmark {
  private static final String ROOM = "room";

  @Param({"100", "10000"})
  public int stored;

  @Param({"1", "10", "100"})
  public int behind;

  private Chord chord;
  private Long clientVersion;

  @Setup
  public void setUp() {
    chord = Chord.builder().deltaThreshold(stored).build();
    chord.setContext(ROOM, TeamRoom.room(ROOM));
    StatusChanges changes = new StatusChanges(TeamRoom.PARTICIPANTS, "");
    long version = 1;
    for (int i = 0; i < stored; i++) {
      version = chord.updateContext(ROOM, changes.next()).context().version();
    }
    clientVersion = version - behind;
    if (!(chord.syncContext(ROOM, clientVersion) instanceof SyncResult.Patch)) {
      throw new IllegalStateException("expected a Patch from " + clientVersion);
    }
  }

  @TearDown
  public void tearDown() {
    chord.close();
  }

  @Benchmark
  public SyncResult sync() {
    return chord.syncContext(ROOM, clientVersion);
  }
}
