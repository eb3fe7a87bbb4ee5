package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.ContextUpdate;
import dev.chord.micrometer.ChordMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
 * What the metrics listener costs: {@link UpdateBenchmark}'s {@code updateContext} at 50
 * participants (in-memory, one thread) without a listener ({@code none}), with a listener that does
 * nothing ({@code noop}: what telemetry itself costs, the clock reads and the event) and with
 * {@link ChordMetrics} bound to a Prometheus registry ({@code prometheus}). The target: at
 * most 10% more with it than without.
 *
 * <pre>java -jar chord-bench/target/benchmarks.jar MetricsOverheadBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MetricsOverheadBenchmark {
  private static final String ROOM = "room";

  @Param({"50"})
  public int participants;

  @Param({"none", "noop", "prometheus"})
  public String metrics;

  private Chord chord;
  private StatusChanges changes;

  @Setup
  public void setUp() {
    Chord.Builder builder = Chord.builder();
    if (metrics.equals("prometheus")) {
      ChordMetrics.bind(builder, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }
    if (metrics.equals("noop")) {
      builder.listener(e -> {});
    }

    chord = builder.build();
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
