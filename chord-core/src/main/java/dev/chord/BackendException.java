package dev.chord;

/**
 * The storage backend failed or could not be reached. The operation stored nothing: a commit is
 * either complete or absent, never half-written.
 */
public final class BackendException extends ChordException {
  private static final long serialVersionUID = 1L;

  public BackendException(String message) {
    super(message);
  }

  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
