package dev.chord;

/** The operation needs something that was not configured, such as an exporter or a provider. */
public final class ChordConfigurationException extends ChordException {
  private static final long serialVersionUID = 1L;

  public ChordConfigurationException(String message) {
    super(message);
  }
}
