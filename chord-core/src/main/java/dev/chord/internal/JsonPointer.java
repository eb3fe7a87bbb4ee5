package dev.chord.internal;

/** RFC 6901 JSON Pointers, the one way Chord names a place in a context. */
public final class JsonPointer {
  private JsonPointer() {}

  /** The pointer to {@code path}: {@code ["a", "b/c"]} becomes {@code /a/b~1c}; empty is "". */
  public static String of(Iterable<String> path) {
    StringBuilder out = new StringBuilder();
    for (String key : path) {
      out.append('/').append(key.replace("~", "~0").replace("/", "~1"));
    }
    return out.toString();
  }
}
