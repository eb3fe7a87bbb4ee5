package dev.chord;

/** What happened to one key of a context. */
public enum Action {
  /** The key did not exist before; {@link Change#value()} is its value. */
  ADDED,
  /** The key changed value; {@link Change#oldValue()} and {@link Change#value()} hold both. */
  MODIFIED,
  /** The key was removed; {@link Change#oldValue()} is the value it had. */
  REMOVED;

  /** The lower-case name used in formatted output ({@code "added"}, …). */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
