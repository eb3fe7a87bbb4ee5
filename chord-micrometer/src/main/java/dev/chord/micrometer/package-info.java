/**
 * Micrometer meters for Chord. {@link dev.chord.micrometer.ChordMetrics#bind} is the one entry.
 *
 * <p>Nullness: every type here is non-null unless marked {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.chord.micrometer;

import org.jspecify.annotations.NullMarked;
