package dev.chord;

import dev.chord.spi.Backend;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link Chord.Builder} produced: every setting, checked, never changed afterwards.
 *
 * @param exportDelay {@link Chord.Builder#exportOnChange}'s bound; {@code null}: no write-behind
 * @param restoreOnMiss {@link Chord.Builder#restoreOnMiss}
 * @param evictAfter {@link Chord.Builder#evictAfter}; {@code null}: contexts stay hot
 */
record Settings(
    Backend backend,
    int deltaThreshold,
    Duration deltaTtl,
    @Nullable Duration contextTtl,
    boolean contextAutoDelete,
    Clock clock,
    ChronoUnit timeUnit,
    @Nullable ContextExporter exporter,
    @Nullable ContextProvider provider,
    DeltaFormatter<?> formatter,
    List<ChordListener> listeners,
    @Nullable Duration cleanupInterval,
    @Nullable ScheduledExecutorService cleanupScheduler,
    @Nullable Duration exportDelay,
    boolean restoreOnMiss,
    @Nullable Duration evictAfter) {}
