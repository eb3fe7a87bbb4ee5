package dev.chord.server;

/**
 * What the live path reports to the server's metrics ({@link ServerMetrics}); {@link #NONE} when
 * metrics are off. Called on the fan-out and socket threads, so implementations only bump counters.
 */
interface LiveMeters {
  /** Reports nothing. */
  LiveMeters NONE =
      new LiveMeters() {
        @Override
        public void handedOff(String type, long since) {}

        @Override
        public void merged() {}

        @Override
        public void coalesced() {}

        @Override
        public void resynced() {}

        @Override
        public void queued(int depth) {}

        @Override
        public void closed(LiveClose reason) {}
      };

  /**
   * A message of {@code type} ({@code patch}, {@code full}, {@code absent}, {@code no_change}) was
   * handed to the socket.
   *
   * @param since the {@link System#nanoTime()} at which this node learned of the commit it carries,
   *     0 if it carries none (an initial sync, a reset, a full read)
   */
  void handedOff(String type, long since);

  /** A connection's queue overflowed and its deltas were merged into one. */
  void merged();

  /** A connection was behind and sent several queued commits as one patch. */
  void coalesced();

  /** A connection's queue was replaced by one full context (overflow or a hole). */
  void resynced();

  /** A connection's queue holds {@code depth} messages after a delta was queued. */
  void queued(int depth);

  /** A live connection ended, for {@code reason}. */
  void closed(LiveClose reason);
}
