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
