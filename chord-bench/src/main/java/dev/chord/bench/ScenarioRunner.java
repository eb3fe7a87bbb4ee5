package dev.chord.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.chord.Chord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs the original's scenarios ({@link Scenarios}), stateless and stateful, several runs each,
 * checks every iteration for lost updates ({@link LostUpdateCheck}) and writes the results as JSON.
 *
 * <pre>
 * java -cp chord-bench/target/benchmarks.jar dev.chord.bench.ScenarioRunner \
 *     --runs 3 --jit-warmup 3 --warmup 1 --seconds 2 --callers 8 --out bench/results/scenarios-memory.json
 * </pre>
 *
 * A run that loses an update is reported as failed, whatever its speed.
 */
public final class ScenarioRunner {
  /** How a run is set up. */
  record Settings(
      int runs, double jitWarmupSeconds, double warmupSeconds, double seconds, int callers) {
    Settings {
      if (callers < 1) {
        throw new IllegalArgumentException("--callers must be at least 1, was " + callers);
      }
    }
  }

  /** One timed run and what its check found. */
  record Run(
      long iterations,
      double seconds,
      double iterationsPerSecond,
      double callsPerSecond,
      long roomsChecked,
      long roomsWithProblems,
      List<String> problems) {}

  /** One scenario over all its runs. */
  record Result(
      String scenario,
      String title,
      boolean stateful,
      int callsPerIteration,
      double medianIterationsPerSecond,
      double medianCallsPerSecond,
      boolean lostUpdates,
      List<Run> runs) {}

  /** All scenarios against one backend. */
  record Report(String backend, Settings settings, List<Result> results) {}

  private static final int MAX_PROBLEMS_KEPT = 5;

  private ScenarioRunner() {}

  public static void main(String[] args) throws Exception {
    Args parsed = new Args(args);
    Settings settings =
        new Settings(
            parsed.integer("--runs", 3),
            parsed.decimal("--jit-warmup", 3),
            parsed.decimal("--warmup", 1),
            parsed.decimal("--seconds", 2),
            parsed.integer("--callers", 8));
    Path out = Path.of(parsed.text("--out", "bench/results/scenarios-memory.json"));
    Report report = run("in-memory", Chord::inMemory, settings);
    write(report, out);
    print(report);
    if (report.results().stream().anyMatch(Result::lostUpdates)) {
      System.exit(2);
    }
  }

  static void print(Report report) {
    for (Result result : report.results()) {
      System.out.printf(
          "%-9s %-45s %-9s %,12.1f it/s %,14.0f calls/s %s%n",
          report.backend(),
          result.title(),
          result.stateful() ? "stateful" : "stateless",
          result.medianIterationsPerSecond(),
          result.medianCallsPerSecond(),
          result.lostUpdates() ? "LOST UPDATES" : "nothing lost");
    }
  }

  /** Every scenario, stateless then stateful, each on fresh Chords from {@code chords}. */
  static Report run(String backend, Supplier<Chord> chords, Settings settings)
      throws InterruptedException {
    List<Result> results = new ArrayList<>();
    for (boolean stateful : new boolean[] {false, true}) {
      for (Scenarios.Kind kind : Scenarios.Kind.values()) {
        results.add(scenario(kind, stateful, chords, settings));
      }
    }
    return new Report(backend, settings, results);
  }

  static Result scenario(
      Scenarios.Kind kind, boolean stateful, Supplier<Chord> chords, Settings settings)
      throws InterruptedException {
    // One untimed run first, so that the timed runs measure JIT-compiled code (under load the
    // compiler threads need seconds, and a scenario's code paths differ from the previous one's).
    run(
        kind,
        stateful,
        chords,
        new Settings(1, 0, 0, settings.jitWarmupSeconds(), settings.callers()));
    List<Run> runs = new ArrayList<>();
    for (int r = 0; r < settings.runs(); r++) {
      runs.add(run(kind, stateful, chords, settings));
    }
    double[] rates = runs.stream().mapToDouble(Run::iterationsPerSecond).toArray();
    double median = median(rates);
    return new Result(
        kind.name().toLowerCase(java.util.Locale.ROOT),
        kind.title,
        stateful,
        kind.callsPerIteration(),
        median,
        median * kind.callsPerIteration(),
        runs.stream().anyMatch(run -> run.roomsWithProblems() > 0),
        runs);
  }

  private static Run run(
      Scenarios.Kind kind, boolean stateful, Supplier<Chord> chords, Settings settings)
      throws InterruptedException {
    // The iterating thread is one of the callers; the pool runs the others.
    int workers = settings.callers() - 1;
    ExecutorService callers = new ForkJoinPool(Math.max(1, workers));
    RoomOwner[] owners = null;
    if (stateful) {
      owners = new RoomOwner[kind.rooms];
      for (int i = 0; i < kind.rooms; i++) {
        owners[i] = new RoomOwner();
      }
    }
    try (Chord chord = chords.get()) {
      Scenarios scenarios = new Scenarios(kind, chord, callers, workers, owners);
      long warmupEnd = System.nanoTime() + nanos(settings.warmupSeconds());
      while (System.nanoTime() < warmupEnd) {
        scenarios.iterate();
      }
      // Each iteration is checked right after it, off the clock: keeping every iteration's
      // states for a check at the end would make the GC, not Chord, the thing measured.
      Check check = new Check(kind);
      long timed = 0;
      long limit = nanos(settings.seconds());
      do {
        long start = System.nanoTime();
        List<Scenarios.RoomRun> iteration = scenarios.iterate();
        timed += System.nanoTime() - start;
        check.add(iteration);
      } while (timed < limit);
      return check.result(timed / 1e9);
    } finally {
      callers.shutdownNow();
      callers.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** Checks iterations one by one and keeps the first few problems. */
  private static final class Check {
    private final Scenarios.Kind kind;
    private long iterations;
    private long checkedRooms;
    private long failedRooms;
    private final List<String> kept = new ArrayList<>();

    Check(Scenarios.Kind kind) {
      this.kind = kind;
    }

    void add(List<Scenarios.RoomRun> iteration) {
      iterations++;
      for (Scenarios.RoomRun room : iteration) {
        checkedRooms++;
        List<String> problems = LostUpdateCheck.problems(room, kind == Scenarios.Kind.SINGLE);
        if (!problems.isEmpty()) {
          failedRooms++;
          problems.stream().limit(MAX_PROBLEMS_KEPT - kept.size()).forEach(kept::add);
        }
      }
    }

    Run result(double seconds) {
      double rate = iterations / seconds;
      return new Run(
          iterations,
          seconds,
          rate,
          rate * kind.callsPerIteration(),
          checkedRooms,
          failedRooms,
          kept);
    }
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static long nanos(double seconds) {
    return (long) (seconds * 1e9);
  }

  static void write(Object report, Path out) throws IOException {
    if (out.getParent() != null) {
      java.nio.file.Files.createDirectories(out.getParent());
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), report);
  }
}
