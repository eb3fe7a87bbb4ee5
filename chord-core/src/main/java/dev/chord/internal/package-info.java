/**
 * Chord's internals. Not API: anything here may change without notice. Other Chord modules may use
 * it; applications should not.
 */
package dev.chord.internal;
