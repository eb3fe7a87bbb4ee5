/**
 * The service provider interface for storage: implement {@link dev.chord.spi.Backend} to keep
 * Chord's contexts and deltas somewhere else. The delta logic stays in Chord; a backend stores and
 * reads. Prove an implementation with the conformance kit in {@code chord-backend-tck}.
 */
@NullMarked
package dev.chord.spi;

import org.jspecify.annotations.NullMarked;
