package dev.chord.micrometer;

import dev.chord.Chord;
import dev.chord.ChordEvent;
import dev.chord.ChordEvent.FullReason;
import dev.chord.ChordEvent.Operation;
import dev.chord.ChordEvent.Outcome;
import dev.chord.ChordListener;
import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.Backend;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Records Chord's telemetry as Micrometer meters: a {@link ChordListener} that {@link #bind} adds
 * to a {@link Chord.Builder}.
 *
 * <pre>{@code
 * MeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * Chord.Builder builder = Chord.builder().backend(backend);
 * ChordMetrics.bind(builder, registry);
 * ChordMetrics.bindGauges(backend, registry);
 * Chord chord = builder.build();
 * }</pre>
 *
 * <p>Meters (Micrometer names; Prometheus shows them as {@code chord_operations_seconds} and so
 * on):
 *
 * <ul>
 *   <li>{@value #OPERATIONS} — timer of every public operation, tags {@code operation} ({@code
 *       set}, {@code update}, {@code get}, {@code sync}, {@code delete}, {@code export}, {@code
 *       restore}, {@code cleanup}, {@code subscribe}, {@code deliver}) and {@code outcome} ({@code
 *       ok}, {@code unchanged}, {@code full}, {@code patch}, {@code no_change}, {@code conflict},
 *       {@code not_found}, {@code error}); {@code deliver} counts listener failures, with no time.
 *       Neither percentiles nor histogram buckets by default: add {@link #histogramBuckets()} to
 *       the registry for them.
 *   <li>{@value #SYNC_RESULTS} — counter of answered syncs, tags {@code result} ({@code full},
 *       {@code patch}, {@code no_change}) and {@code reason}: for {@code full} why ({@code
 *       no_version}, {@code other_epoch}, {@code ahead}, {@code too_far_behind}, {@code
 *       history_gap}), else {@code none} (Prometheus wants one set of tag keys per name).
 *   <li>{@value #DELTA_CHANGES} — distribution summary of the leaf changes in each committed delta.
 *   <li>{@value #COMMIT_RETRIES} — counter of optimistic-commit retries (another writer committed
 *       first and the change was computed again), tag {@code operation} ({@code set}, {@code
 *       update}).
 *   <li>{@value #CONTEXTS} and {@value #DELTAS} — gauges of the contexts and stored deltas, from
 *       {@link #bindGauges} for a backend that counts them cheaply (the in-memory backend; none
 *       that would have to scan Redis or a database).
 * </ul>
 *
 * <p>Cost: the listener runs on the caller's thread after each operation; its meters are looked up
 * once and cached, so an event costs a few counter updates (BENCHMARKS.md, "Metrics overhead").
 */
public final class ChordMetrics implements ChordListener {
  /** Timer name of every operation. */
  public static final String OPERATIONS = "chord.operations";

  /** Counter name of answered syncs by result. */
  public static final String SYNC_RESULTS = "chord.sync.results";

  /** Distribution summary name of changes per committed delta. */
  public static final String DELTA_CHANGES = "chord.delta.changes";

  /** Counter name of optimistic-commit retries. */
  public static final String COMMIT_RETRIES = "chord.commit.retries";

  /** Gauge name of the contexts a backend holds. */
  public static final String CONTEXTS = "chord.contexts";

  /** Gauge name of the deltas a backend stores. */
  public static final String DELTAS = "chord.deltas";

  private static final Operation[] OPERATION_VALUES = Operation.values();
  private static final Outcome[] OUTCOME_VALUES = Outcome.values();

  private final MeterRegistry registry;

  /** {@value #OPERATIONS} by operation × outcome, registered on first use. */
  private final AtomicReferenceArray<Timer> timers =
      new AtomicReferenceArray<>(OPERATION_VALUES.length * OUTCOME_VALUES.length);

  private final Counter patches;
  private final Counter noChanges;
  private final Map<FullReason, Counter> fulls = new EnumMap<>(FullReason.class);
  private final DistributionSummary changes;
  private final Counter setRetries;
  private final Counter updateRetries;

  private ChordMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.patches = syncResult("patch", "none");
    this.noChanges = syncResult("no_change", "none");
    for (FullReason reason : FullReason.values()) {
      fulls.put(reason, syncResult("full", reason.tag()));
    }
    this.changes =
        DistributionSummary.builder(DELTA_CHANGES)
            .description("Leaf changes in each committed delta")
            .baseUnit("changes")
            .register(registry);
    this.setRetries = retries(Operation.SET);
    this.updateRetries = retries(Operation.UPDATE);
  }

  /**
   * Adds a listener that records Chord's meters in {@code registry} to {@code builder}, and returns
   * it. Every Chord the builder builds from now on reports to it; binding one registry twice counts
   * everything twice. The backend's gauges need the backend: see {@link #bindGauges}.
   */
  public static ChordMetrics bind(Chord.Builder builder, MeterRegistry registry) {
    Objects.requireNonNull(builder, "builder");
    ChordMetrics metrics = new ChordMetrics(Objects.requireNonNull(registry, "registry"));
    builder.listener(metrics);
    return metrics;
  }

  /**
   * Registers the gauges {@code backend} can give without a scan: {@value #CONTEXTS} and {@value
   * #DELTAS} for an {@link InMemoryBackend}, nothing for another backend. The gauges hold the
   * backend weakly, as Micrometer's gauges do.
   *
   * @return whether any gauge was registered
   */
  public static boolean bindGauges(Backend backend, MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    if (!(Objects.requireNonNull(backend, "backend") instanceof InMemoryBackend memory)) {
      return false;
    }
    Gauge.builder(CONTEXTS, memory, InMemoryBackend::contextCount)
        .description("Contexts the backend holds")
        .baseUnit("contexts")
        .register(registry);
    Gauge.builder(DELTAS, memory, InMemoryBackend::deltaCount)
        .description("Deltas the backend stores, over all contexts")
        .baseUnit("deltas")
        .register(registry);
    return true;
  }

  /**
   * A filter that gives every Chord timer (names starting {@code chord.}) histogram buckets from 1
   * µs to 10 s, for quantiles on the monitoring side (Prometheus {@code histogram_quantile}). Add
   * it to the registry before binding: {@code
   * registry.config().meterFilter(ChordMetrics.histogramBuckets())}. Each bucket is a series of its
   * own, so it is off unless asked for.
   */
  public static MeterFilter histogramBuckets() {
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(
          Meter.Id id, DistributionStatisticConfig config) {
        if (id.getType() != Meter.Type.TIMER || !id.getName().startsWith("chord.")) {
          return config;
        }
        return DistributionStatisticConfig.builder()
            .percentilesHistogram(true)
            .minimumExpectedValue((double) Duration.ofNanos(1_000).toNanos())
            .maximumExpectedValue((double) Duration.ofSeconds(10).toNanos())
            .build()
            .merge(config);
      }
    };
  }

  @Override
  public void onEvent(ChordEvent event) {
    Operation operation = event.operation();
    Outcome outcome = event.outcome();
    timer(operation, outcome).record(event.duration().toNanos(), TimeUnit.NANOSECONDS);
    switch (operation) {
      case SYNC -> countSync(event);
      case SET, UPDATE -> {
        if (outcome == Outcome.OK) {
          changes.record(event.changes());
        }
        if (event.commitRetries() > 0) {
          (operation == Operation.SET ? setRetries : updateRetries)
              .increment(event.commitRetries());
        }
      }
      default -> {}
    }
  }

  private void countSync(ChordEvent event) {
    switch (event.outcome()) {
      case PATCH -> patches.increment();
      case NO_CHANGE -> noChanges.increment();
      case FULL -> {
        FullReason reason = event.fullReason();
        // Chord's Full events always carry a reason; only one built by hand may lack it.
        if (reason != null) {
          fulls.get(reason).increment();
        }
      }
      default -> {}
    }
  }

  private Timer timer(Operation operation, Outcome outcome) {
    int index = operation.ordinal() * OUTCOME_VALUES.length + outcome.ordinal();
    Timer timer = timers.get(index);
    if (timer == null) {
      // Racing threads register the same id, and the registry hands both the same timer.
      timer =
          Timer.builder(OPERATIONS)
              .description("Chord operations by operation and outcome")
              .tag("operation", operation.tag())
              .tag("outcome", outcome.tag())
              .register(registry);
      timers.set(index, timer);
    }
    return timer;
  }

  private Counter syncResult(String result, String reason) {
    return Counter.builder(SYNC_RESULTS)
        .description("Answered syncs by result, and for full by reason")
        .tag("result", result)
        .tag("reason", reason)
        .register(registry);
  }

  private Counter retries(Operation operation) {
    return Counter.builder(COMMIT_RETRIES)
        .description("Optimistic-commit retries: another writer committed first")
        .tag("operation", operation.tag())
        .register(registry);
  }
}
