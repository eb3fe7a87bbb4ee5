package dev.chord;

/** The operation needs a context that does not exist. */
public final class ContextNotFoundException extends ChordException {
  private static final long serialVersionUID = 1L;
  private final String contextId;

  public ContextNotFoundException(String contextId) {
    super("context not found: '" + contextId + "'");
    this.contextId = contextId;
  }

  /** The id that was not found. */
  public String contextId() {
    return contextId;
  }
}
