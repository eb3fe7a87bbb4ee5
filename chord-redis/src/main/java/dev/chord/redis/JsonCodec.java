package dev.chord.redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.chord.Action;
import dev.chord.Change;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import dev.chord.json.TypedJson;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Redis wire formats around values: the delta message of the log and the channel, and the hash
 * reply of the script. Values inside them (and each leaf of a data hash, see {@link LeafLayout})
 * are in {@link TypedJson#standard()}, the form chord-redis has always stored; reading accepts
 * every form {@link TypedJson} reads.
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

  /** Writes the old or the new value of one change of a delta message; see {@link LeafLayout}. */
  interface ValueWriter {
    void write(JsonGenerator g, Change change, boolean old) throws IOException;
  }

  /**
   * The message stored in the delta log and published: {@code {"version": 3, "insertedAt": …,
   * "changes": [{"path": ["a", "b"], "action": "modified", "old": 1, "value": 2}, …]}}, {@code
   * insertedAt} in milliseconds as Chord gave it, each {@code old} and {@code value} written by
   * {@code values} (as {@link TypedJson#write(JsonGenerator, Object)} would, in the same bytes).
   * The epoch is not in it: the log belongs to the stored incarnation, and a published message
   * names it in front (see {@link Channels}).
   */
  static String deltaMessage(DeltaRecord record, ValueWriter values) {
    return generate(
        g -> {
          g.writeStartObject();
          g.writeNumberField("version", record.version());
          g.writeNumberField("insertedAt", record.insertedAt());
          g.writeArrayFieldStart("changes");
          for (Change change : record.delta().changes()) {
            g.writeStartObject();
            g.writeArrayFieldStart("path");
            for (String key : change.path()) {
              g.writeString(key);
            }
            g.writeEndArray();
            g.writeStringField("action", change.action().wireName());
            if (change.action() != Action.ADDED) {
              g.writeFieldName("old");
              values.write(g, change, true);
            }
            if (change.action() != Action.REMOVED) {
              g.writeFieldName("value");
              values.write(g, change, false);
            }
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  /**
   * Reads a {@link #deltaMessage} of incarnation {@code epoch}; the delta is rebuilt with {@link
   * Delta#fromChanges}.
   */
  static DeltaRecord readDeltaMessage(String contextId, String json, String epoch) {
    if (!(VALUES.read(json) instanceof Map<?, ?> message)) {
      throw new IllegalStateException(
          "a delta message must be an object: " + TypedJson.abbreviate(json));
    }
    List<Change> changes = new ArrayList<>();
    for (Object item : (List<?>) message.get("changes")) {
      Map<?, ?> change = (Map<?, ?>) item;
      List<String> path = new ArrayList<>();
      for (Object key : (List<?>) change.get("path")) {
        path.add((String) key);
      }
      Action action = Action.valueOf(((String) change.get("action")).toUpperCase(Locale.ROOT));
      changes.add(new Change(path, action, change.get("old"), change.get("value")));
    }
    return new DeltaRecord(
        contextId,
        ((Number) message.get("version")).longValue(),
        Delta.fromChanges(changes),
        ((Number) message.get("insertedAt")).longValue(),
        epoch);
  }

  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static String generate(Body body) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
