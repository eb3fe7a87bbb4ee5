package dev.chord.redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.chord.Action;
import dev.chord.Change;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.json.TypedJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
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
   * What {@code VALUES.readDeltaMessage} reads, read in one pass: the message's own structure is
   * parsed as it streams by, and only the values are built, where the general reader first builds
   * the whole message as a tree, then interprets it into a second one, then into changes.
   *
   * @throws IllegalStateException if {@code json} is not a delta message
   */
  static DeltaRecord readDeltaMessage(String contextId, String json, String epoch) {
    Long version = null;
    Long insertedAt = null;
    List<Change> changes = null;
    try (JsonParser p = FACTORY.createParser(json)) {
      expect(p.nextToken(), JsonToken.START_OBJECT, json);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "version" -> version = number(p, value, json);
          case "insertedAt" -> insertedAt = number(p, value, json);
          case "changes" -> changes = changes(p, value, json);
          default -> p.skipChildren();
        }
      }
      expect(p.currentToken(), JsonToken.END_OBJECT, json);
      expect(p.nextToken(), null, json);
    } catch (IOException | IllegalArgumentException e) {
      throw notAMessage(json, e);
    }
    if (version == null || insertedAt == null || changes == null) {
      throw notAMessage(json, null);
    }
    return new DeltaRecord(contextId, version, Delta.fromChanges(changes), insertedAt, epoch);
  }

  private static List<Change> changes(JsonParser p, JsonToken token, String json)
      throws IOException {
    expect(token, JsonToken.START_ARRAY, json);
    List<Change> out = new ArrayList<>();
    while (p.nextToken() == JsonToken.START_OBJECT) {
      List<String> path = null;
      Action action = null;
      Object old = null;
      Object value = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken start = p.nextToken();
        switch (field) {
          case "path" -> {
            expect(start, JsonToken.START_ARRAY, json);
            path = new ArrayList<>();
            while (p.nextToken() == JsonToken.VALUE_STRING) {
              path.add(p.getText());
            }
            expect(p.currentToken(), JsonToken.END_ARRAY, json);
          }
          case "action" -> {
            expect(start, JsonToken.VALUE_STRING, json);
            action = Action.valueOf(p.getText().toUpperCase(Locale.ROOT));
          }
          case "old" -> old = VALUES.read(p);
          case "value" -> value = VALUES.read(p);
          default -> p.skipChildren();
        }
      }
      if (path == null || action == null) {
        throw notAMessage(json, null);
      }
      out.add(new Change(path, action, old, value));
    }
    expect(p.currentToken(), JsonToken.END_ARRAY, json);
    return out;
  }

  private static long number(JsonParser p, JsonToken token, String json) throws IOException {
    expect(token, JsonToken.VALUE_NUMBER_INT, json);
    return p.getLongValue();
  }

  private static void expect(JsonToken token, JsonToken expected, String json) {
    if (token != expected) {
      throw notAMessage(json, null);
    }
  }

  private static IllegalStateException notAMessage(String json, Exception cause) {
    return new IllegalStateException("not a delta message: " + TypedJson.abbreviate(json), cause);
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
