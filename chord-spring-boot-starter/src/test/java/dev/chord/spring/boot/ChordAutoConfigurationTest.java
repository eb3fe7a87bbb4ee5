package dev.chord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.Chord;
import dev.chord.CleanupReport;
import dev.chord.memory.InMemoryBackend;
import dev.chord.micrometer.ChordMetrics;
import dev.chord.spi.Backend;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The auto-configuration on the in-memory backend: properties, back-off, customizers, meters. */
class ChordAutoConfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  ChordAutoConfiguration.class, ChordHealthAutoConfiguration.class));

  @Test
  void noProperties_oneChordOnAnInMemoryBackendWithTheLibraryDefaults() {
    runner.run(
        context -> {
          assertThat(context).hasSingleBean(Chord.class).hasSingleBean(Backend.class);
          assertThat(context.getBean(Backend.class)).isInstanceOf(InMemoryBackend.class);
          Chord chord = context.getBean(Chord.class);
          assertThat(chord.deltaThreshold()).isEqualTo(Chord.Builder.DEFAULT_DELTA_THRESHOLD);
          chord.setContext("room", Map.of("topic", "hello"));
          assertThat(context.getBean(Backend.class).get("room")).isPresent();
        });
  }

  @Test
  void backendMemory_isTheInMemoryBackend() {
    runner
        .withPropertyValues("chord.backend=memory")
        .run(
            context ->
                assertThat(context.getBean(Backend.class)).isInstanceOf(InMemoryBackend.class));
  }

  @Test
  void deltaThreshold_reachesTheChord() {
    runner
        .withPropertyValues("chord.delta-threshold=7")
        .run(context -> assertThat(context.getBean(Chord.class).deltaThreshold()).isEqualTo(7));
  }

  @Test
  void deltaThreshold_belowOne_failsNamingTheValue() {
    runner
        .withPropertyValues("chord.delta-threshold=0")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("deltaThreshold must be at least 1, was 0"));
  }

  @Test
  void unknownBackend_failsToBind() {
    runner
        .withPropertyValues("chord.backend=mongo")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("chord.backend")
                    .hasStackTraceContaining("mongo"));
  }

  @Test
  void deltaTtl_cleanupDropsDeltasOlderThanIt() {
    ManualClock clock = new ManualClock();
    // Two hours on: past a one-hour TTL, well within the default 24 hours.
    assertThat(deltasDroppedAfter(clock, Duration.ofHours(2), "chord.delta-ttl=1h")).isPositive();
    assertThat(deltasDroppedAfter(new ManualClock(), Duration.ofHours(2))).isZero();
  }

  private long deltasDroppedAfter(ManualClock clock, Duration later, String... properties) {
    List<Long> dropped = new ArrayList<>();
    runner
        .withPropertyValues(properties)
        .withBean(ChordBuilderCustomizer.class, () -> builder -> builder.clock(clock))
        .run(
            context -> {
              Chord chord = context.getBean(Chord.class);
              chord.setContext("room", Map.of("n", 1));
              chord.updateContext("room", Map.of("n", 2));
              chord.updateContext("room", Map.of("n", 3));
              clock.advance(later);
              dropped.add(chord.cleanup().deltasDeleted());
            });
    return dropped.get(0);
  }

  @Test
  void contextTtl_cleanupDeletesContextsUnchangedForThatLong() {
    ManualClock clock = new ManualClock();
    runner
        .withPropertyValues("chord.context-ttl=30m")
        .withBean(ChordBuilderCustomizer.class, () -> builder -> builder.clock(clock))
        .run(
            context -> {
              Chord chord = context.getBean(Chord.class);
              chord.setContext("old", Map.of("n", 1));
              clock.advance(Duration.ofMinutes(20));
              chord.setContext("young", Map.of("n", 1));
              clock.advance(Duration.ofMinutes(20));
              CleanupReport report = chord.cleanup();
              assertThat(report.contextsDeleted()).isEqualTo(1);
              assertThat(chord.getContext("old")).isEmpty();
              assertThat(chord.getContext("young")).isPresent();
            });
  }

  @Test
  void noContextTtl_cleanupKeepsContexts() {
    ManualClock clock = new ManualClock();
    runner
        .withBean(ChordBuilderCustomizer.class, () -> builder -> builder.clock(clock))
        .run(
            context -> {
              Chord chord = context.getBean(Chord.class);
              chord.setContext("old", Map.of("n", 1));
              clock.advance(Duration.ofDays(365));
              assertThat(chord.cleanup().contextsDeleted()).isZero();
              assertThat(chord.getContext("old")).isPresent();
            });
  }

  @Test
  void cleanupInterval_schedulesCleanupThatOften() {
    RecordingScheduler scheduler = new RecordingScheduler();
    try {
      runner
          .withPropertyValues("chord.cleanup-interval=15m")
          .withBean(
              ChordBuilderCustomizer.class, () -> builder -> builder.cleanupScheduler(scheduler))
          .run(
              context -> {
                assertThat(context).hasNotFailed();
                assertThat(scheduler.delays).containsExactly(Duration.ofMinutes(15));
              });
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void noCleanupInterval_schedulesNothing() {
    // The builder refuses a scheduler without an interval: the interval is passed on only if set.
    runner
        .withBean(
            ChordBuilderCustomizer.class,
            () -> builder -> builder.cleanupScheduler(new RecordingScheduler()))
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("cleanupScheduler needs a cleanupInterval"));
  }

  @Test
  void applicationChord_backsOffChordAndBackend() {
    Chord own = Chord.builder().deltaThreshold(3).build();
    runner
        .withBean("ownChord", Chord.class, () -> own)
        .run(
            context -> {
              assertThat(context).hasSingleBean(Chord.class);
              assertThat(context.getBean(Chord.class)).isSameAs(own);
              assertThat(context).doesNotHaveBean(Backend.class);
              assertThat(context).doesNotHaveBean("chordHealthIndicator");
            });
  }

  @Test
  void applicationBackend_backsOffTheBackendAndTheChordIsBuiltOnIt() {
    InMemoryBackend own = InMemoryBackend.create();
    runner
        .withPropertyValues("chord.backend=redis", "chord.delta-threshold=5")
        .withBean("ownBackend", Backend.class, () -> own)
        .run(
            context -> {
              assertThat(context).hasSingleBean(Backend.class);
              assertThat(context.getBean(Backend.class)).isSameAs(own);
              Chord chord = context.getBean(Chord.class);
              assertThat(chord.deltaThreshold()).isEqualTo(5);
              chord.setContext("room", Map.of("topic", "mine"));
              assertThat(own.get("room").orElseThrow().data()).isEqualTo(Map.of("topic", "mine"));
            });
  }

  @Test
  void closingTheContext_closesTheChord() {
    List<Chord> chords = new ArrayList<>();
    runner.run(context -> chords.add(context.getBean(Chord.class)));
    Chord chord = chords.get(0);
    assertThatThrownBy(() -> chord.getContext("room"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("this Chord is closed");
  }

  @Test
  void redisBackend_withoutChordRedis_failsNamingTheArtifact() {
    runner
        .withClassLoader(new FilteredClassLoader("dev.chord.redis"))
        .withPropertyValues("chord.backend=redis")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessage(
                        "chord.backend=redis needs dev.chord:chord-redis on the class path"));
  }

  @Test
  void postgresBackend_withoutADataSource_failsSayingSo() {
    runner
        .withPropertyValues("chord.backend=postgres")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageStartingWith("chord.backend=postgres needs a DataSource bean"));
  }

  @Test
  void meters_boundToTheApplicationsRegistry() {
    runner
        .withConfiguration(
            AutoConfigurations.of(
                MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class))
        .run(
            context -> {
              Chord chord = context.getBean(Chord.class);
              chord.setContext("room", Map.of("n", 1));
              chord.updateContext("room", Map.of("n", 2));
              chord.syncContext("room", 1L, chord.getContext("room").orElseThrow().epoch());
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              assertThat(
                      registry
                          .get(ChordMetrics.OPERATIONS)
                          .tag("operation", "update")
                          .tag("outcome", "ok")
                          .timer()
                          .count())
                  .isEqualTo(1);
              assertThat(
                      registry
                          .get(ChordMetrics.SYNC_RESULTS)
                          .tag("result", "patch")
                          .counter()
                          .count())
                  .isEqualTo(1);
              assertThat(registry.get(ChordMetrics.CONTEXTS).gauge().value()).isEqualTo(1);
            });
  }

  @Test
  void meters_withoutChordMicrometer_theChordStillWorks() {
    runner
        .withClassLoader(new FilteredClassLoader(ChordMetrics.class))
        .withConfiguration(
            AutoConfigurations.of(
                MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class))
        .run(
            context -> {
              assertThat(context).doesNotHaveBean("chordMetricsCustomizer");
              context.getBean(Chord.class).setContext("room", Map.of("n", 1));
              assertThat(
                      context.getBean(MeterRegistry.class).find(ChordMetrics.OPERATIONS).meters())
                  .isEmpty();
            });
  }

  @Test
  void health_upOnTheInMemoryBackend() {
    runner.run(
        context -> {
          HealthIndicator health = context.getBean("chordHealthIndicator", HealthIndicator.class);
          assertThat(health.health().getStatus()).isEqualTo(Status.UP);
          assertThat(health.health().getDetails()).containsEntry("backend", "InMemoryBackend");
        });
  }

  @Test
  void health_offWhenDisabled() {
    runner
        .withPropertyValues("management.health.chord.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean("chordHealthIndicator"));
  }

  @Test
  void health_withoutSpringBootHealth_noIndicatorAndTheChordStillWorks() {
    runner
        .withClassLoader(new FilteredClassLoader(HealthIndicator.class))
        .run(
            context -> {
              assertThat(context).doesNotHaveBean("chordHealthIndicator");
              assertThat(context).hasSingleBean(Chord.class);
            });
  }

  /** A clock the test moves. */
  static final class ManualClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Records the delays cleanup is scheduled with. */
  static final class RecordingScheduler extends ScheduledThreadPoolExecutor {
    final List<Duration> delays = new ArrayList<>();

    RecordingScheduler() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(
        Runnable command, long initialDelay, long delay, TimeUnit unit) {
      delays.add(Duration.of(delay, unit.toChronoUnit()));
      return super.scheduleWithFixedDelay(command, initialDelay, delay, unit);
    }
  }
}
