package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.ContextUpdate;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code setContext} of the full 50-participant room, alternating between two rooms built at
 * different times (every timestamp differs), so each call validates and freezes the whole tree and
 * diffs two 50-participant trees, as the original's scenarios do at the start of every iteration.
 *
 * <pre>java -jar chord-bench/target/benchmarks.jar SetContextBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SetContextBenchmark {
  private static final String ROOM = "room";

  private Chord chord;
  private Map<String, Object> first;
  private Map<String, Object> second;
  private boolean flip;

  @Setup
  public void setUp() throws InterruptedException {
    chord = Chord.inMemory();
    first = TeamRoom.room(ROOM);
    Thread.sleep(2); // the second room's timestamps must differ
    second = TeamRoom.room(ROOM);
  }

  @TearDown
  public void tearDown() {
    chord.close();
  }

  @Benchmark
  public ContextUpdate setRoom() {
    flip = !flip;
    return chord.setContext(ROOM, flip ? first : second);
  }
}
