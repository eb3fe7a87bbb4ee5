/** The in-memory backend, Chord's default: one process, no persistence. */
@NullMarked
package dev.chord.memory;

import org.jspecify.annotations.NullMarked;
