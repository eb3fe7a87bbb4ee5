package dev.chord;

/**
 * What one {@link Chord#cleanup()} pass removed.
 *
 * @param contextsDeleted contexts deleted because they expired ({@code contextAutoDelete})
 * @param deltasDeleted deltas deleted because they expired ({@code deltaTtl}); the deltas that go
 *     with a deleted context are not counted
 */
public record CleanupReport(int contextsDeleted, long deltasDeleted) {}
