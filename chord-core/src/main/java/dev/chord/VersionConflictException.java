package dev.chord;

import org.jspecify.annotations.Nullable;

/**
 * A conditional write ({@link Chord#setContext(String, java.util.Map, long, String)}, {@link
 * Chord#updateContext(String, java.util.Map, long, String)} and their version-only forms) found the
 * context at another (epoch, version) than the one it required. Nothing was stored.
 */
public final class VersionConflictException extends ChordException {
  private static final long serialVersionUID = 1L;
  private final String contextId;
  private final long expectedVersion;
  private final @Nullable String expectedEpoch;
  private final long currentVersion;
  private final @Nullable String currentEpoch;

  /** A conflict on the version alone. */
  public VersionConflictException(String contextId, long expectedVersion, long currentVersion) {
    this(contextId, expectedVersion, null, currentVersion, null);
  }

  /**
   * A conflict on (epoch, version).
   *
   * @param expectedEpoch the epoch the write required, {@code null} if it required none
   * @param currentEpoch the epoch the context is at, {@code null} if it is absent
   */
  public VersionConflictException(
      String contextId,
      long expectedVersion,
      @Nullable String expectedEpoch,
      long currentVersion,
      @Nullable String currentEpoch) {
    super(
        "context '"
            + contextId
            + "' is at "
            + describe(currentEpoch, currentVersion)
            + ", not "
            + describe(expectedEpoch, expectedVersion)
            + "; nothing was stored");
    this.contextId = contextId;
    this.expectedVersion = expectedVersion;
    this.expectedEpoch = expectedEpoch;
    this.currentVersion = currentVersion;
    this.currentEpoch = currentEpoch;
  }

  private static String describe(@Nullable String epoch, long version) {
    if (version == 0) {
      return "absent";
    }
    return epoch == null ? "version " + version : "epoch " + epoch + " version " + version;
  }

  /** The context written to. */
  public String contextId() {
    return contextId;
  }

  /** The version the write required (0: the context had to be absent). */
  public long expectedVersion() {
    return expectedVersion;
  }

  /** The epoch the write required; {@code null} if it required none (or absence). */
  public @Nullable String expectedEpoch() {
    return expectedEpoch;
  }

  /** The version the context is at (0: absent). */
  public long currentVersion() {
    return currentVersion;
  }

  /** The epoch the context is at; {@code null} when it is absent. */
  public @Nullable String currentEpoch() {
    return currentEpoch;
  }
}
