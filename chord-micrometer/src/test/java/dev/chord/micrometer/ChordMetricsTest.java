package dev.chord.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.Chord;
import dev.chord.ContextNotFoundException;
import dev.chord.VersionConflictException;
import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.Commit;
import dev.chord.spi.CommitResult;
import dev.chord.spi.ForwardingBackend;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Known operations leave known values in the meters. */
class ChordMetricsTest {
  private final MeterRegistry registry = new SimpleMeterRegistry();
  private final InMemoryBackend storage = InMemoryBackend.create();
  private final AtomicBoolean interlope = new AtomicBoolean();
  private final Chord other = Chord.builder().backend(new ForwardingBackend(storage) {}).build();
  private final Chord chord = build();

  private Chord build() {
    Chord.Builder builder =
        Chord.builder()
            .deltaThreshold(2)
            .backend(
                new ForwardingBackend(storage) {
                  @Override
                  public CommitResult commit(Commit commit) {
                    if (interlope.getAndSet(false)) {
                      other.updateContext(commit.contextId(), Map.of("other", 1));
                    }
                    return super.commit(commit);
                  }
                });
    ChordMetrics.bind(builder, registry);
    return builder.build();
  }

  @AfterEach
  void close() {
    chord.close();
    other.close();
  }

  private long operations(String operation, String outcome) {
    Timer timer =
        registry
            .find(ChordMetrics.OPERATIONS)
            .tags("operation", operation, "outcome", outcome)
            .timer();
    return timer == null ? 0 : timer.count();
  }

  private double syncs(String result, String reason) {
    return registry
        .get(ChordMetrics.SYNC_RESULTS)
        .tags("result", result, "reason", reason)
        .counter()
        .count();
  }

  @Test
  void operations_countedByOperationAndOutcome() {
    chord.setContext("room", Map.of("a", 1));
    chord.setContext("room", Map.of("a", 1));
    chord.updateContext("room", Map.of("a", 2));
    assertThatThrownBy(() -> chord.updateContext("ghost", Map.of("a", 1)))
        .isInstanceOf(ContextNotFoundException.class);
    assertThatThrownBy(() -> chord.setContext("room", Map.of("a", 3), 1))
        .isInstanceOf(VersionConflictException.class);
    chord.getContext("room");
    chord.getContext("ghost");
    chord.deleteContext("nothing");

    assertThat(operations("set", "ok")).isEqualTo(1);
    assertThat(operations("set", "unchanged")).isEqualTo(1);
    assertThat(operations("set", "conflict")).isEqualTo(1);
    assertThat(operations("update", "ok")).isEqualTo(1);
    assertThat(operations("update", "not_found")).isEqualTo(1);
    assertThat(operations("get", "ok")).isEqualTo(1);
    assertThat(operations("get", "not_found")).isEqualTo(1);
    assertThat(operations("delete", "ok")).isEqualTo(1);
    Timer timer =
        registry.get(ChordMetrics.OPERATIONS).tags("operation", "set").timers().stream()
            .filter(t -> "ok".equals(t.getId().getTag("outcome")))
            .findFirst()
            .orElseThrow();
    assertThat(timer.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
    assertThat(timer.takeSnapshot().histogramCounts()).as("no buckets by default").isEmpty();
  }

  @Test
  void syncResults_countedByResultAndReason() {
    chord.setContext("room", Map.of("a", 1));
    String epoch = chord.getContext("room").orElseThrow().epoch();
    chord.updateContext("room", Map.of("a", 2));
    chord.syncContext("room", 1, epoch); // patch
    chord.syncContext("room", 2, epoch); // no change
    chord.syncContext("room", 2, epoch); // no change
    chord.syncContext("room", null); // full: no version
    chord.syncContext("room", 9, epoch); // full: ahead
    chord.syncContext("room", 2, "otherEpoch000001"); // full: other epoch
    chord.updateContext("room", Map.of("a", 3));
    chord.updateContext("room", Map.of("a", 4));
    chord.syncContext("room", 1, epoch); // full: three behind, two kept

    assertThat(syncs("patch", "none")).isEqualTo(1);
    assertThat(syncs("no_change", "none")).isEqualTo(2);
    assertThat(syncs("full", "no_version")).isEqualTo(1);
    assertThat(syncs("full", "ahead")).isEqualTo(1);
    assertThat(syncs("full", "other_epoch")).isEqualTo(1);
    assertThat(syncs("full", "too_far_behind")).isEqualTo(1);
    assertThat(syncs("full", "history_gap")).isZero();
    storage.deleteDeltasBefore("room", Long.MAX_VALUE);
    chord.syncContext("room", 3, epoch);
    assertThat(syncs("full", "history_gap")).isEqualTo(1);
    assertThat(operations("sync", "full")).isEqualTo(5);
  }

  @Test
  void deltaChangesAndRetries() {
    chord.setContext("room", Map.of("a", 1, "b", 2, "c", 3));
    chord.updateContext("room", Map.of("a", 5));
    chord.updateContext("room", Map.of("a", 5)); // unchanged: no delta
    interlope.set(true);
    chord.updateContext("room", Map.of("b", 7));

    var changes = registry.get(ChordMetrics.DELTA_CHANGES).summary();
    assertThat(changes.count()).isEqualTo(3);
    assertThat(changes.totalAmount()).isEqualTo(3 + 1 + 1);
    assertThat(changes.max()).isEqualTo(3);
    assertThat(
            registry.get(ChordMetrics.COMMIT_RETRIES).tags("operation", "update").counter().count())
        .isEqualTo(1);
    assertThat(registry.get(ChordMetrics.COMMIT_RETRIES).tags("operation", "set").counter().count())
        .isZero();
  }

  @Test
  void gauges_inMemoryBackendOnly() {
    MeterRegistry gauges = new SimpleMeterRegistry();
    assertThat(ChordMetrics.bindGauges(storage, gauges)).isTrue();
    chord.setContext("a", Map.of("v", 1));
    chord.setContext("b", Map.of("v", 1));
    chord.updateContext("b", Map.of("v", 2));
    assertThat(gauges.get(ChordMetrics.CONTEXTS).gauge().value()).isEqualTo(2);
    assertThat(gauges.get(ChordMetrics.DELTAS).gauge().value()).isEqualTo(3);
    assertThat(
            ChordMetrics.bindGauges(new ForwardingBackend(storage) {}, new SimpleMeterRegistry()))
        .isFalse();
  }

  @Test
  void prometheus_namesAndHistogramBuckets() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    prometheus.config().meterFilter(ChordMetrics.histogramBuckets());
    Chord.Builder builder = Chord.builder();
    ChordMetrics.bind(builder, prometheus);
    try (Chord bound = builder.build()) {
      bound.setContext("room", Map.of("a", 1));
      bound.syncContext("room", 1L);
    }
    String text = prometheus.scrape();
    assertThat(text)
        .contains("chord_operations_seconds_count{operation=\"set\",outcome=\"ok\"} 1")
        .contains("chord_operations_seconds_bucket{operation=\"set\",outcome=\"ok\",le=")
        .contains("chord_operations_seconds_bucket{operation=\"set\",outcome=\"ok\",le=\"1.0E-6\"}")
        .contains("chord_sync_results_total{reason=\"none\",result=\"no_change\"} 1.0")
        .contains("chord_sync_results_total{reason=\"history_gap\",result=\"full\"} 0.0")
        .contains("chord_delta_changes_count 1")
        .doesNotContain("chord_delta_changes_bucket")
        .contains("chord_commit_retries_total{operation=\"update\"} 0.0");
  }
}
