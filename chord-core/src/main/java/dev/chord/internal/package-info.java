/**
 * Chord's internals. Not API: anything here may change without notice. Other Chord modules may use
 * it; applications should not.
 */
@NullMarked
package dev.chord.internal;

import org.jspecify.annotations.NullMarked;
