package dev.chord.server;

import java.util.Locale;

/** What a bearer token allows on the contexts it names. */
public enum Right {
  /** {@code GET} a context, sync it, and follow it live over the WebSocket. */
  READ,
  /** {@code PUT}, {@code PATCH} and {@code DELETE} a context. */
  WRITE,
  /** Export and restore a context; with the scope {@code *}, run cleanup. */
  ADMIN;

  /** The lower-case name used in tokens and on the command line. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The right named {@code name}, case-insensitively.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static Right parse(String name) {
    for (Right right : values()) {
      if (right.wireName().equalsIgnoreCase(name.trim())) {
        return right;
      }
    }
    throw new IllegalArgumentException("unknown right '" + name + "'; use read, write or admin");
  }
}
