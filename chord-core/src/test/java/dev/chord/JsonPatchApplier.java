package dev.chord;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small, strict RFC 6902 applier for the operations {@link DeltaFormatters#jsonPatch()} emits
 * ({@code add}, {@code replace}, {@code remove}) on nested maps, with RFC 6901 pointer unescaping.
 * Written independently of the main code so that it checks the formatter rather than mirroring it.
 */
final class JsonPatchApplier {
  private JsonPatchApplier() {}

  /** {@code patch} applied in order to a deep copy of {@code state}. */
  static Map<String, Object> apply(Map<String, ?> state, List<Map<String, Object>> patch) {
    Map<String, Object> doc = JsonTrees.copy(state);
    for (Map<String, Object> op : patch) {
      List<String> tokens = parsePointer((String) op.get("path"));
      Map<String, Object> parent = parentOf(doc, tokens);
      String last = tokens.get(tokens.size() - 1);
      switch ((String) op.get("op")) {
        case "add" -> {
          require(op.containsKey("value"), "add without value: " + op);
          parent.put(last, JsonTrees.copyValue(op.get("value")));
        }
        case "replace" -> {
          require(op.containsKey("value"), "replace without value: " + op);
          require(parent.containsKey(last), "replace of a missing key: " + op);
          parent.put(last, JsonTrees.copyValue(op.get("value")));
        }
        case "remove" -> {
          require(!op.containsKey("value"), "remove with a value: " + op);
          require(parent.containsKey(last), "remove of a missing key: " + op);
          parent.remove(last);
        }
        default -> throw new AssertionError("unexpected op " + op);
      }
    }
    return doc;
  }

  /** RFC 6901: "" is the root, else "/"-separated tokens with ~1 → "/" then ~0 → "~". */
  static List<String> parsePointer(String pointer) {
    require(pointer.startsWith("/"), "a change pointer starts with /: '" + pointer + "'");
    List<String> tokens = new ArrayList<>();
    for (String raw : pointer.substring(1).split("/", -1)) {
      require(!raw.matches(".*~([^01]|$).*"), "bad escape in '" + pointer + "'");
      tokens.add(raw.replace("~1", "/").replace("~0", "~"));
    }
    return tokens;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parentOf(Map<String, Object> doc, List<String> tokens) {
    Map<String, Object> at = doc;
    for (String token : tokens.subList(0, tokens.size() - 1)) {
      Object next = at.get(token);
      require(next instanceof Map, "pointer goes through a non-map at '" + token + "'");
      at = (Map<String, Object>) next;
    }
    return at;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }
}
