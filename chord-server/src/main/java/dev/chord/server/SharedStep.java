package dev.chord.server;

import dev.chord.DeltaRecord;

/**
 * One committed delta on its way to every connection of a context: rendered at most once per {@link
 * WireFormat}, however many clients receive it.
 *
 * <p>It also keeps, per format, the last merged patch a connection sent starting at this step
 * ({@link #coalesced}): connections that fell behind together have the same steps queued when their
 * writes complete, so the first to merge the span renders it and the others send the same text. One
 * entry is enough because the fan-out hands each step to every connection within milliseconds while
 * a step takes longer to be written to a client that is behind: connections that start at the same
 * step mostly see the same newest step queued, and a connection that sees a different one replaces
 * the entry (it is the newer span, the one the rest will see). The entry holds text and version
 * numbers only, never another step, so it lives exactly as long as this step: until no queue or
 * inbox holds it.
 */
final class SharedStep implements LiveEvent {
  private final DeltaRecord record;

  /** When this node learned of the commit ({@link System#nanoTime()}): where live lag starts. */
  private final long since = System.nanoTime();

  // Racy but benign: Strings are immutable, so a reader sees null (and renders again) or a whole
  // one.
  private final String[] rendered = new String[WireFormat.values().length];

  // Racy but benign like rendered: a Coalesced has only final fields, so a reader sees null, an
  // older entry (a miss: it merges again) or a whole one.
  private final Coalesced[] coalesced = new Coalesced[WireFormat.values().length];

  /**
   * A merged patch starting at this step, as a connection chose and rendered it.
   *
   * @param queuedTo the version of the last step chained behind this one in the connection's queue
   * @param maxChanges the connection's bound on a merged patch's changes
   * @param sentTo the version the patch ends at: {@code queuedTo}, or an earlier one when merging
   *     the whole span had more than {@code maxChanges} changes
   * @param text the message
   */
  record Coalesced(long queuedTo, int maxChanges, long sentTo, String text) {}

  SharedStep(DeltaRecord record) {
    this.record = record;
  }

  DeltaRecord record() {
    return record;
  }

  long since() {
    return since;
  }

  String message(WireFormat format) {
    String text = rendered[format.ordinal()];
    if (text == null) {
      text = Json.write(Messages.patch(record, record.version() - 1, format));
      rendered[format.ordinal()] = text;
    }
    return text;
  }

  /**
   * The merged patch a connection of {@code format} and {@code maxChanges} chose for the span from
   * this step to {@code queuedTo}, if one was kept; {@code null} if not.
   */
  Coalesced coalesced(WireFormat format, long queuedTo, int maxChanges) {
    Coalesced kept = coalesced[format.ordinal()];
    return kept != null && kept.queuedTo() == queuedTo && kept.maxChanges() == maxChanges
        ? kept
        : null;
  }

  /**
   * The largest merged text kept, in chars. Every step still queued somewhere can keep one per
   * format, and a never-reading client keeps up to its queue's length of steps alive until it is
   * closed: without a cap that is the queue length squared times a step's size.
   */
  static final int LARGEST_KEPT = 64 * 1024;

  /**
   * Keeps {@code chosen} for the next connection of {@code format} behind by the same span, unless
   * its text is longer than {@link #LARGEST_KEPT} (then each such connection renders its own).
   */
  void keep(WireFormat format, Coalesced chosen) {
    if (chosen.text().length() <= LARGEST_KEPT) {
      coalesced[format.ordinal()] = chosen;
    }
  }

  @Override
  public void deliverTo(LiveConnection connection) {
    connection.offer(this);
  }
}
