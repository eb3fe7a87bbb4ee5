package dev.chord;

/** The root of Chord's runtime failures. Caller mistakes are {@link IllegalArgumentException}s. */
public class ChordException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ChordException(String message) {
    super(message);
  }

  public ChordException(String message, Throwable cause) {
    super(message, cause);
  }
}
