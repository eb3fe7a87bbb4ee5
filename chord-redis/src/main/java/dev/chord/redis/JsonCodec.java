package dev.chord.redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.chord.json.TypedJson;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * JSON in Redis: values (each leaf of a data hash, see {@link LeafLayout}) and delta messages (the
 * log and the channel) are in {@link TypedJson#standard()}, the form chord-redis has always stored;
 * reading accepts every form {@link TypedJson} reads. What is Redis's own is the script's hash
 * reply.
 */
final class JsonCodec {
  static final TypedJson VALUES = TypedJson.standard();
  private static final JsonFactory FACTORY = VALUES.factory();

  private JsonCodec() {}

  /**
   * {@code VALUES.write(value)}, without a generator for the leaves most contexts are made of: a
   * string with nothing to escape, a boolean, a long, null. A commit writes every leaf it touches,
   * and a generator per leaf costs more than the rest of its encoding.
   */
  static String leaf(Object value) {
    if (value instanceof String s && plain(s)) {
      return '"' + s + '"';
    }
    if (value instanceof Boolean || value instanceof Long) {
      return value.toString();
    }
    return value == null ? "null" : VALUES.write(value);
  }

  /**
   * Whether Jackson writes {@code s} as it is between quotes: no control character, no quote, no
   * backslash.
   */
  private static boolean plain(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\') {
        return false;
      }
    }
    return true;
  }

  /**
   * A hash as the script encodes it, a JSON array {@code [field, value, …]}; {@code {}} (how the
   * script's encoder writes an empty array) is empty.
   */
  static Map<String, String> readHash(String json) {
    Map<String, String> out = new HashMap<>();
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() == JsonToken.START_ARRAY) {
        while (p.nextToken() == JsonToken.VALUE_STRING) {
          String field = p.getText();
          p.nextToken();
          out.put(field, p.getText());
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("unreadable JSON in Redis: " + TypedJson.abbreviate(json), e);
    }
    return out;
  }
}
