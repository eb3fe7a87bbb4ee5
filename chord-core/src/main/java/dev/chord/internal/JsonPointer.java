package dev.chord.internal;

import java.util.ArrayList;
import java.util.List;

/** RFC 6901 JSON Pointers, the one way Chord names a place in a context. */
public final class JsonPointer {
  private JsonPointer() {}

  /** The pointer to {@code path}: {@code ["a", "b/c"]} becomes {@code /a/b~1c}; empty is "". */
  public static String of(Iterable<String> path) {
    StringBuilder out = new StringBuilder();
    for (String key : path) {
      out.append('/').append(escape(key));
    }
    return out.toString();
  }

  /** One reference token: {@code ~} becomes {@code ~0}, then {@code /} becomes {@code ~1}. */
  public static String escape(String key) {
    // Most keys need no escaping: skip the two replace passes for them.
    return key.indexOf('~') < 0 && key.indexOf('/') < 0
        ? key
        : key.replace("~", "~0").replace("/", "~1");
  }

  /**
   * The path a pointer of {@link #of} names, its tokens unescaped; "" is the empty path.
   *
   * @throws IllegalArgumentException if {@code pointer} is neither empty nor starts with {@code /}
   */
  public static List<String> parse(String pointer) {
    List<String> path = new ArrayList<>();
    if (pointer.isEmpty()) {
      return path;
    }
    if (pointer.charAt(0) != '/') {
      throw new IllegalArgumentException("not a JSON Pointer: '" + pointer + "'");
    }
    int start = 1;
    while (true) {
      int end = pointer.indexOf('/', start);
      String token = pointer.substring(start, end < 0 ? pointer.length() : end);
      path.add(token.indexOf('~') < 0 ? token : token.replace("~1", "/").replace("~0", "~"));
      if (end < 0) {
        return path;
      }
      start = end + 1;
    }
  }
}
