package dev.chord.bench;

import java.util.Map;

/**
 * A ring of pre-built one-participant status changes, so that a benchmark measures Chord and not
 * the building of its argument. Every change in the ring really changes the context: entry {@code
 * j} and entry {@code j + span} touch the same participant with different values, so whatever entry
 * last touched a participant, the next one to touch it brings a new value. The participants are
 * visited in a scattered order covering all of them (up to {@code span}), so that large contexts
 * are not measured on a hot, cached corner.
 */
final class StatusChanges {
  /** 7919 is prime, so stepping by it visits every participant of any count it does not divide. */
  private static final int STRIDE = 7919;

  private final Map<String, Object>[] ring;
  private int next;

  /**
   * @param participants how many participants the room has ({@code user_1..user_n})
   * @param tag makes the values unique to one writer, for several writers on one context
   */
  @SuppressWarnings("unchecked")
  StatusChanges(int participants, String tag) {
    int span = Math.max(participants, 1024);
    ring = new Map[span * 2];
    for (int j = 0; j < ring.length; j++) {
      int participant = (int) ((long) (j % span) * STRIDE % participants) + 1;
      ring[j] = TeamRoom.statusChange(TeamRoom.participant(participant), tag + "status_" + j);
    }
  }

  /** How many changes the ring holds before it repeats. */
  int length() {
    return ring.length;
  }

  /** The next change of the ring. */
  Map<String, Object> next() {
    Map<String, Object> change = ring[next];
    next = next + 1 == ring.length ? 0 : next + 1;
    return change;
  }
}
