package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.ContextUpdate;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Contended {@code updateContext}: 1, 2, 4 and 8 threads updating one 50-participant room, and 8
 * threads each updating its own room of the same Chord. Scores are total updates per second over
 * all threads (this machine has 2 cores, so more threads can only add contention).
 *
 * <pre>java -jar chord-bench/target/benchmarks.jar ContentionBenchmark</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ContentionBenchmark {
  private static final int ROOMS = 8;

  /** One Chord holding 8 rooms. */
  @State(Scope.Benchmark)
  public static class Rooms {
    Chord chord;

    @Setup
    public void setUp() {
      chord = Chord.inMemory();
      for (int i = 0; i < ROOMS; i++) {
        chord.setContext(room(i), TeamRoom.room(room(i)));
      }
    }

    @TearDown
    public void tearDown() {
      chord.close();
    }
  }

  /** One writer: its own room (for the 8-rooms case) and values no other writer uses. */
  @State(Scope.Thread)
  public static class Writer {
    String ownRoom;
    StatusChanges changes;

    @Setup
    public void setUp(ThreadParams thread) {
      ownRoom = room(thread.getThreadIndex() % ROOMS);
      changes = new StatusChanges(TeamRoom.PARTICIPANTS, "t" + thread.getThreadIndex() + "_");
    }
  }

  static String room(int i) {
    return "room:" + i;
  }

  @Benchmark
  @Threads(1)
  public ContextUpdate oneRoom1Thread(Rooms rooms, Writer writer) {
    return rooms.chord.updateContext(room(0), writer.changes.next());
  }

  @Benchmark
  @Threads(2)
  public ContextUpdate oneRoom2Threads(Rooms rooms, Writer writer) {
    return rooms.chord.updateContext(room(0), writer.changes.next());
  }

  @Benchmark
  @Threads(4)
  public ContextUpdate oneRoom4Threads(Rooms rooms, Writer writer) {
    return rooms.chord.updateContext(room(0), writer.changes.next());
  }

  @Benchmark
  @Threads(8)
  public ContextUpdate oneRoom8Threads(Rooms rooms, Writer writer) {
    return rooms.chord.updateContext(room(0), writer.changes.next());
  }

  @Benchmark
  @Threads(8)
  public ContextUpdate eightRooms8Threads(Rooms rooms, Writer writer) {
    return rooms.chord.updateContext(writer.ownRoom, writer.changes.next());
  }
}
