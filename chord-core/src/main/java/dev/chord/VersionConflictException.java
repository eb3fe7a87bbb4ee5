package dev.chord;

/**
 * A conditional write ({@link Chord#setContext(String, java.util.Map, long)}, {@link
 * Chord#updateContext(String, java.util.Map, long)}) found the context at another version than the
 * one it required. Nothing was stored.
 */
public final class VersionConflictException extends ChordException {
  private static final long serialVersionUID = 1L;
  private final String contextId;
  private final long expectedVersion;
  private final long currentVersion;

  public VersionConflictException(String contextId, long expectedVersion, long currentVersion) {
    super(
        "context '"
            + contextId
            + "' is at version "
            + currentVersion
            + ", not "
            + expectedVersion
            + "; nothing was stored");
    this.contextId = contextId;
    this.expectedVersion = expectedVersion;
    this.currentVersion = currentVersion;
  }

  /** The context written to. */
  public String contextId() {
    return contextId;
  }

  /** The version the write required (0: the context had to be absent). */
  public long expectedVersion() {
    return expectedVersion;
  }

  /** The version the context is at (0: absent). */
  public long currentVersion() {
    return currentVersion;
  }
}
