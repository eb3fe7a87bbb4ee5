/** The in-memory backend, Chord's default: one process, no persistence. */
package dev.chord.memory;
