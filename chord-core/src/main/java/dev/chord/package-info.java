/**
 * Chord's API: versioned contexts with delta history and sync.
 *
 * <p>{@link dev.chord.Chord} is the one entry point, configured by its {@link
 * dev.chord.Chord.Builder}. What it hands out are immutable values: {@link dev.chord.Context} (one
 * version of a context), {@link dev.chord.Delta} and its {@link dev.chord.Change}s, {@link
 * dev.chord.DeltaRecord}, {@link dev.chord.SyncResult} and {@link dev.chord.ContextUpdate}. Its
 * failures are {@link dev.chord.ChordException}s ({@link dev.chord.ContextNotFoundException},
 * {@link dev.chord.VersionConflictException}, {@link dev.chord.BackendException}, {@link
 * dev.chord.ChordConfigurationException}); caller mistakes are {@link IllegalArgumentException}s.
 *
 * <p>Nullness: every type here is non-null unless marked {@link org.jspecify.annotations.Nullable}
 * (JSpecify {@link org.jspecify.annotations.NullMarked}). Values inside JSON-like data may be
 * {@code null} (JSON null), hence {@code Map<String, @Nullable Object>}.
 */
@NullMarked
package dev.chord;

import org.jspecify.annotations.NullMarked;
