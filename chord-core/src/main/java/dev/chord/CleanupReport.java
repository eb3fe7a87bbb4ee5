package dev.chord;

/**
 * What one {@link Chord#cleanup()} pass removed.
 *
 * @param contextsDeleted contexts deleted because they expired ({@code contextAutoDelete})
 * @param deltasDeleted deltas deleted because they expired ({@code deltaTtl}); the deltas that go
 *     with a deleted context are not counted
 * @param contextsEvicted contexts removed from the backend after their export ({@code evictAfter});
 *     they are in the store, not deleted
 */
public record CleanupReport(int contextsDeleted, long deltasDeleted, int contextsEvicted) {

  /** A report of a pass that evicted nothing. */
  public CleanupReport(int contextsDeleted, long deltasDeleted) {
    this(contextsDeleted, deltasDeleted, 0);
  }
}
