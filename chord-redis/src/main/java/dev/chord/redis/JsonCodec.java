package dev.chord.redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.chord.Action;
import dev.chord.Change;
import dev.chord.Delta;
import dev.chord.DeltaRecord;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * JSON for what Chord stores in Redis, so that every value reads back with its Java type.
 *
 * <p>Plain JSON keeps most types apart by itself: integers are written without a point and read as
 * {@code Long} (beyond 2^53 too, as Jackson reads 64-bit integers exactly), and a {@code Double} is
 * always written with a point or an exponent ({@code 1.0}, {@code 1.0E300}), so it reads back as a
 * {@code Double}. What JSON cannot tell apart gets a one-entry wrapper object:
 *
 * <ul>
 *   <li>{@code BigDecimal}: {@code {"$dec": "1.50"}} (its string form keeps the scale);
 *   <li>{@code BigInteger}: {@code {"$int": "123"}} (else a small one would read as a Long);
 *   <li>a user map with exactly one key that starts with {@code $}: {@code {"$map": {...}}}, so a
 *       map such as {@code {"$dec": "x"}} is never mistaken for a wrapper.
 * </ul>
 *
 * Values read here are plain mutable collections; callers freeze them with {@link
 * dev.chord.spi.Snapshots}.
 */
final class JsonCodec {
  private static final JsonFactory FACTORY = JsonFactory.builder().build();
  private static final String DECIMAL = "$dec";
  private static final String INTEGER = "$int";
  private static final String MAP = "$map";

  private JsonCodec() {}

  /** The typed JSON of one JSON-like value. */
  static String write(Object value) {
    return generate(g -> writeValue(g, value));
  }

  /** The value of typed JSON written by {@link #write}. */
  static Object read(String json) {
    // Most fields of a context hash are short strings, small integers or the map marker: read
    // those without a parser (a full read of a large context is dominated by this).
    int n = json.length();
    if (n >= 2
        && json.charAt(0) == '"'
        && json.indexOf('"', 1) == n - 1
        && json.indexOf('\\') < 0) {
      return json.substring(1, n - 1);
    }
    if (json.equals("{}")) {
      return new HashMap<String, Object>();
    }
    if (n > 0 && n < 19 && isInteger(json)) {
      return Long.parseLong(json);
    }
    try (JsonParser p = FACTORY.createParser(json)) {
      p.nextToken();
      return readValue(p);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable JSON in Redis: " + abbreviate(json), e);
    }
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
      throw new IllegalStateException("unreadable JSON in Redis: " + abbreviate(json), e);
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
   * {@code values} (as {@link #writeValue} would, in the same bytes). The epoch is not in it: the
   * log belongs to the stored incarnation, and a published message names it in front (see {@link
   * Channels}).
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
    if (!(read(json) instanceof Map<?, ?> message)) {
      throw new IllegalStateException("a delta message must be an object: " + abbreviate(json));
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

  /** Writes the typed JSON of one JSON-like value, as {@link #write} returns it. */
  static void writeValue(JsonGenerator g, Object value) throws IOException {
    if (value == null) {
      g.writeNull();
    } else if (value instanceof String s) {
      g.writeString(s);
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof Long l) {
      g.writeNumber(l);
    } else if (value instanceof Double d) {
      g.writeNumber(d);
    } else if (value instanceof BigDecimal d) {
      g.writeStartObject();
      g.writeStringField(DECIMAL, d.toString());
      g.writeEndObject();
    } else if (value instanceof BigInteger i) {
      g.writeStartObject();
      g.writeStringField(INTEGER, i.toString());
      g.writeEndObject();
    } else if (value instanceof Map<?, ?> map) {
      writeMapStart(g, map);
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        g.writeFieldName((String) entry.getKey());
        writeValue(g, entry.getValue());
      }
      writeMapEnd(g, map);
    } else if (value instanceof List<?> list) {
      g.writeStartArray();
      for (Object item : list) {
        writeValue(g, item);
      }
      g.writeEndArray();
    } else {
      // Chord hands backends frozen data only (Snapshots): nothing else can reach here.
      throw new IllegalArgumentException("not a JSON-like value: " + value.getClass().getName());
    }
  }

  /**
   * Opens the object of {@code map}, inside a {@code $map} wrapper if its only key starts with
   * {@code $}; the caller writes the entries, then {@link #writeMapEnd}.
   */
  static void writeMapStart(JsonGenerator g, Map<?, ?> map) throws IOException {
    g.writeStartObject();
    if (wrapped(map)) {
      g.writeFieldName(MAP);
      g.writeStartObject();
    }
  }

  /** Closes what {@link #writeMapStart} opened for {@code map}. */
  static void writeMapEnd(JsonGenerator g, Map<?, ?> map) throws IOException {
    if (wrapped(map)) {
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  private static boolean wrapped(Map<?, ?> map) {
    return map.size() == 1 && ((String) map.keySet().iterator().next()).startsWith("$");
  }

  /**
   * Reads one value in two steps: first the plain tree, with objects kept as {@link Obj}, then
   * {@link #interpret} top-down, because whether an object is a wrapper depends on where it is: the
   * object inside {@code $map} is the user's map as is, even if it looks like a wrapper.
   */
  private static Object readValue(JsonParser p) throws IOException {
    return interpret(readTree(p));
  }

  private static Object readTree(JsonParser p) throws IOException {
    JsonToken token = p.currentToken();
    switch (token) {
      case VALUE_NULL:
        return null;
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? p.getBigIntegerValue()
            : (Object) p.getLongValue();
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case START_ARRAY:
        List<Object> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          list.add(readTree(p));
        }
        return list;
      case START_OBJECT:
        Map<String, Object> entries = new HashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          p.nextToken();
          entries.put(key, readTree(p));
        }
        return new Obj(entries);
      default:
        throw new IOException("unexpected JSON token " + token);
    }
  }

  private static Object interpret(Object tree) {
    if (tree instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object item : list) {
        out.add(interpret(item));
      }
      return out;
    }
    if (!(tree instanceof Obj obj)) {
      return tree;
    }
    if (obj.entries.size() == 1) {
      Map.Entry<String, Object> only = obj.entries.entrySet().iterator().next();
      Object inner = only.getValue();
      switch (only.getKey()) {
        case DECIMAL:
          if (inner instanceof String text) {
            return new BigDecimal(text);
          }
          break;
        case INTEGER:
          if (inner instanceof String text) {
            return new BigInteger(text);
          }
          break;
        case MAP:
          if (inner instanceof Obj user) {
            return interpretEntries(user);
          }
          break;
        default:
          break;
      }
    }
    return interpretEntries(obj);
  }

  private static Map<String, Object> interpretEntries(Obj obj) {
    Map<String, Object> out = new HashMap<>(obj.entries.size() * 2);
    obj.entries.forEach((key, value) -> out.put(key, interpret(value)));
    return out;
  }

  /** A JSON object before {@link #interpret} decided what it stands for. */
  private record Obj(Map<String, Object> entries) {}

  /** Whether {@code text} is an optional minus and digits only, as JSON writes an integer. */
  private static boolean isInteger(String text) {
    int start = text.charAt(0) == '-' ? 1 : 0;
    if (start == text.length()) {
      return false;
    }
    for (int i = start; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "…";
  }
}
