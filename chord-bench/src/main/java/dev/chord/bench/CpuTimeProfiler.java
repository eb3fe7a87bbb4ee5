package dev.chord.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time of the benchmark's worker threads per operation ({@code cpu.time.norm}, ns/op). Unlike
 * wall time it leaves out the time the threads waited for a core, so on a shared, loaded machine it
 * estimates what an operation costs when it runs. It includes neither GC nor JIT threads.
 *
 * <pre>java -jar benchmarks.jar UpdateBenchmark -prof dev.chord.bench.CpuTimeProfiler</pre>
 */
public final class CpuTimeProfiler implements InternalProfiler {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private long before;

  @Override
  public String getDescription() {
    return "CPU time of the benchmark threads per operation";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmark, IterationParams iteration) {
    before = workerCpuTime();
  }

  @Override
  public Collection<? extends Result> afterIteration(
      BenchmarkParams benchmark, IterationParams iteration, IterationResult result) {
    long ops = result.getMetadata().getMeasuredOps();
    double perOp = ops == 0 ? Double.NaN : (workerCpuTime() - before) / (double) ops;
    return List.of(new ScalarResult("cpu.time.norm", perOp, "ns/op", AggregationPolicy.AVG));
  }

  /** JMH names its benchmark threads {@code <benchmark>-jmh-worker-<n>}. */
  private static long workerCpuTime() {
    long total = 0;
    for (ThreadInfo info : THREADS.dumpAllThreads(false, false)) {
      if (info.getThreadName().contains("-jmh-worker-")) {
        long cpu = THREADS.getThreadCpuTime(info.getThreadId());
        if (cpu > 0) {
          total += cpu;
        }
      }
    }
    return total;
  }
}
