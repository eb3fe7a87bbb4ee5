package dev.chord.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
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
import org.jspecify.annotations.Nullable;

/**
 * JSON in which every JSON-like value (see {@link dev.chord.spi.Snapshots}: maps with string keys,
 * lists, strings, booleans, {@code null}, {@code Long}, {@code Double}, {@code BigDecimal}, {@code
 * BigInteger}) reads back equal and with its Java type. It is the one convention Chord's stores
 * write context data in: chord-redis (leaf values and delta messages), chord-jdbc (leaf rows, delta
 * messages, exported contexts) and chord-file-store.
 *
 * <p>Plain JSON keeps most types apart by itself: an integer is written without a point and read as
 * a {@code Long} (exactly, beyond 2^53 too); a {@code Double} is written as {@link Double#toString}
 * prints it, always with a point or an exponent ({@code 1.0}, {@code 1.0E300}, {@code -0.0}), and
 * read as a {@code Double}. What JSON cannot tell apart gets a one-entry wrapper object:
 *
 * <ul>
 *   <li>{@code BigDecimal}: {@code {"$dec": "1.50"}} (its string form keeps the scale);
 *   <li>{@code BigInteger}: {@code {"$int": "123"}} (else a small one would read as a Long);
 *   <li>a user map with exactly one key that starts with {@code $}: {@code {"$map": {...}}}, so
 *       that a map such as {@code {"$dec": "x"}} is never mistaken for a wrapper;
 *   <li>only in the {@link #jsonbSafe()} form: a {@code Double} with an exponent, and {@code -0.0}:
 *       {@code {"$dbl": "1.0E300"}}.
 * </ul>
 *
 * <p>Two forms, one reader. {@link #standard()} is what chord-redis and chord-file-store have
 * always written (their stored bytes stay the same). {@link #jsonbSafe()} is for text that may go
 * through PostgreSQL {@code jsonb}, whose {@code numeric} would expand {@code 1.0E300} to 301
 * digits (reading back as a {@code Double} still, but a different text) and drop the sign of {@code
 * -0.0}; it also writes surrogate characters as {@code \}{@code uXXXX} escapes, so that a string
 * with an unpaired surrogate fits a UTF-8 {@code text} column. Both forms read every form either
 * wrote, including {@code jsonb}'s reprint (spaces, reordered keys) and the escapes of any JSON
 * writer.
 *
 * <p>What a string can hold: any {@code char} sequence round-trips through the text this class
 * returns, U+0000 and unpaired surrogates included. Both are escaped in the jsonb-safe form. The
 * standard form writes U+0000 as {@code \}{@code u0000} and a surrogate as is into the returned
 * {@code String}; what survives then depends on how the store encodes that text: a generator of
 * {@link #factory()} on a byte stream (chord-file-store) escapes an unpaired surrogate, while a
 * {@code String} handed to Redis is UTF-8-encoded by the client, which cannot represent one. {@code
 * NaN} and the infinities are not JSON-like values ({@code Snapshots} refuses them) and are refused
 * here with {@link IllegalArgumentException}. Objects nest at most 1000 deep (Jackson's default
 * limit).
 *
 * <p>Values read are plain mutable {@link HashMap}s and {@link ArrayList}s; callers freeze them
 * with {@link dev.chord.spi.Snapshots}. Instances are immutable and thread-safe.
 */
public final class TypedJson {
  private static final String DOUBLE = "$dbl";
  private static final String DECIMAL = "$dec";
  private static final String INTEGER = "$int";
  private static final String MAP = "$map";

  private static final TypedJson STANDARD = new TypedJson(false);
  private static final TypedJson JSONB_SAFE = new TypedJson(true);

  private final boolean jsonbSafe;
  private final JsonFactory factory;

  private TypedJson(boolean jsonbSafe) {
    this.jsonbSafe = jsonbSafe;
    JsonFactoryBuilder builder = new JsonFactoryBuilder();
    if (jsonbSafe) {
      builder.characterEscapes(new JsonbEscapes());
    }
    this.factory = builder.build();
  }

  /**
   * The form chord-redis and chord-file-store store: no {@code $dbl}, strings as Jackson writes.
   */
  public static TypedJson standard() {
    return STANDARD;
  }

  /**
   * The form that survives PostgreSQL {@code jsonb} and UTF-8 {@code text} columns: doubles with an
   * exponent and {@code -0.0} in {@code $dbl}; control characters and surrogates escaped as {@code
   * \}{@code u00xx}. It is the text chord-jdbc has always written, byte for byte.
   */
  public static TypedJson jsonbSafe() {
    return JSONB_SAFE;
  }

  /**
   * The factory whose generators write strings as this form needs; a caller that streams its own
   * JSON around values (a delta message) writes it with a generator of this factory.
   */
  public JsonFactory factory() {
    return factory;
  }

  /**
   * The typed JSON of one JSON-like value.
   *
   * @throws IllegalArgumentException if {@code value} is not JSON-like (NaN, infinities, other
   *     types)
   */
  public String write(@Nullable Object value) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = factory.createGenerator(out)) {
      write(g, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Writes the typed JSON of one JSON-like value to {@code g}, as {@link #write(Object)} returns it
   * (given a generator of {@link #factory()}).
   *
   * @throws IllegalArgumentException if {@code value} is not JSON-like
   */
  public void write(JsonGenerator g, @Nullable Object value) throws IOException {
    if (value == null) {
      g.writeNull();
    } else if (value instanceof String s) {
      g.writeString(s);
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof Long l) {
      g.writeNumber(l);
    } else if (value instanceof Double d) {
      writeDouble(g, d);
    } else if (value instanceof BigDecimal d) {
      wrapper(g, DECIMAL, d.toString());
    } else if (value instanceof BigInteger i) {
      wrapper(g, INTEGER, i.toString());
    } else if (value instanceof Map<?, ?> map) {
      writeMapStart(g, map);
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        g.writeFieldName((String) entry.getKey());
        write(g, entry.getValue());
      }
      writeMapEnd(g, map);
    } else if (value instanceof List<?> list) {
      g.writeStartArray();
      for (Object item : list) {
        write(g, item);
      }
      g.writeEndArray();
    } else {
      throw new IllegalArgumentException("not a JSON-like value: " + value.getClass().getName());
    }
  }

  private void writeDouble(JsonGenerator g, double d) throws IOException {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      // Jackson would write "NaN" as a string, which reads back as a String: refuse instead.
      throw new IllegalArgumentException("not a JSON-like value: " + d);
    }
    String text = Double.toString(d);
    if (jsonbSafe && (text.indexOf('E') >= 0 || text.equals("-0.0"))) {
      wrapper(g, DOUBLE, text);
    } else {
      g.writeNumber(text);
    }
  }

  private static void wrapper(JsonGenerator g, String tag, String text) throws IOException {
    g.writeStartObject();
    g.writeStringField(tag, text);
    g.writeEndObject();
  }

  /**
   * Opens the object of {@code map}, inside a {@code $map} wrapper if its only key starts with
   * {@code $}: for a caller that writes the entries itself (each key, then its value as {@link
   * #write(JsonGenerator, Object)} would), then calls {@link #writeMapEnd}.
   */
  public void writeMapStart(JsonGenerator g, Map<?, ?> map) throws IOException {
    g.writeStartObject();
    if (wrapped(map)) {
      g.writeFieldName(MAP);
      g.writeStartObject();
    }
  }

  /** Closes what {@link #writeMapStart} opened for {@code map}. */
  public void writeMapEnd(JsonGenerator g, Map<?, ?> map) throws IOException {
    if (wrapped(map)) {
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  private static boolean wrapped(Map<?, ?> map) {
    return map.size() == 1 && ((String) map.keySet().iterator().next()).startsWith("$");
  }

  /**
   * The value of typed JSON of either form (or {@code jsonb}'s reprint of it).
   *
   * @throws IllegalStateException if {@code json} is not one JSON value, or a wrapper holds a
   *     malformed number (stored text that cannot be read: the store's state is wrong)
   */
  public @Nullable Object read(String json) {
    // Most leaves are short strings, small integers or the map marker: read those without a
    // parser (a full read of a large Redis context is dominated by this).
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
    try (JsonParser p = factory.createParser(json)) {
      if (p.nextToken() == null) {
        throw new IOException("no JSON value");
      }
      Object value = read(p);
      if (p.nextToken() != null) {
        throw new IOException("trailing characters");
      }
      return value;
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException(
          "unreadable typed JSON (" + e.getMessage() + "): " + abbreviate(json), e);
    }
  }

  /**
   * The data map of a context written by {@link #write(Object)}.
   *
   * @throws IllegalStateException if {@code json} is not such text or not an object
   */
  @SuppressWarnings("unchecked")
  public Map<String, @Nullable Object> readData(String json) {
    if (!(read(json) instanceof Map<?, ?> data)) {
      throw new IllegalStateException("context data must be a JSON object: " + abbreviate(json));
    }
    return (Map<String, @Nullable Object>) data;
  }

  /**
   * Reads the value at {@code p}'s current token (which must be the value's first token), leaving
   * {@code p} at its last token.
   *
   * @throws IOException if the JSON is malformed
   * @throws NumberFormatException if a wrapper holds a malformed number
   */
  public @Nullable Object read(JsonParser p) throws IOException {
    return interpret(tree(p));
  }

  /**
   * Reads in two steps: the plain tree first, objects kept as {@link Obj}, then {@link #interpret}
   * top-down, because whether an object is a wrapper depends on where it is: the object inside
   * {@code $map} is the user's map as is, even if it looks like a wrapper.
   */
  private static @Nullable Object tree(JsonParser p) throws IOException {
    JsonToken token = p.currentToken();
    if (token == null) {
      throw new IOException("unexpected end of JSON");
    }
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
        List<@Nullable Object> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          list.add(tree(p));
        }
        return list;
      case START_OBJECT:
        Map<String, @Nullable Object> entries = new HashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          p.nextToken();
          entries.put(key, tree(p));
        }
        return new Obj(entries);
      default:
        throw new IOException("unexpected JSON token " + token);
    }
  }

  private static @Nullable Object interpret(@Nullable Object tree) {
    if (tree instanceof List<?> list) {
      List<@Nullable Object> out = new ArrayList<>(list.size());
      for (Object item : list) {
        out.add(interpret(item));
      }
      return out;
    }
    if (!(tree instanceof Obj obj)) {
      return tree;
    }
    if (obj.entries.size() == 1) {
      Map.Entry<String, @Nullable Object> only = obj.entries.entrySet().iterator().next();
      Object inner = only.getValue();
      switch (only.getKey()) {
        case DOUBLE:
          if (inner instanceof String text) {
            return Double.valueOf(text);
          }
          break;
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
            return entries(user);
          }
          break;
        default:
          break;
      }
    }
    return entries(obj);
  }

  private static Map<String, @Nullable Object> entries(Obj obj) {
    Map<String, @Nullable Object> out = new HashMap<>(obj.entries.size() * 2);
    obj.entries.forEach((key, value) -> out.put(key, interpret(value)));
    return out;
  }

  /** A JSON object before {@link #interpret} decided what it stands for. */
  private record Obj(Map<String, @Nullable Object> entries) {}

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

  /** Writes the old or the new value of one change of a delta message. */
  @FunctionalInterface
  public interface ChangeValues {
    /**
     * Writes {@code change}'s old value ({@code old}) or its new value to {@code g}, as {@link
     * #write(JsonGenerator, Object)} would.
     */
    void write(JsonGenerator g, Change change, boolean old) throws IOException;
  }

  /**
   * The delta message of {@code record}, the form in which the stores keep and publish a delta:
   * {@code {"version":3,"insertedAt":…,"changes":[{"path":["a","b"],"action":"modified","old":1,
   * "value":2},…]}}, {@code insertedAt} as the record holds it, no {@code old} for an added value
   * and no {@code value} for a removed one. The context id and the epoch are not in it: the store
   * names them around it.
   */
  public String writeDeltaMessage(DeltaRecord record) {
    return writeDeltaMessage(
        record, (g, change, old) -> write(g, old ? change.oldValue() : change.value()));
  }

  /**
   * {@link #writeDeltaMessage(DeltaRecord)} with each value written by {@code values}, for a store
   * that walks the values anyway (chord-redis writes each leaf once, for its field and raw into the
   * message); the bytes must be what {@link #write(JsonGenerator, Object)} would write.
   */
  public String writeDeltaMessage(DeltaRecord record, ChangeValues values) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = factory.createGenerator(out)) {
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
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * The record of a {@link #writeDeltaMessage} of context {@code contextId} at incarnation {@code
   * epoch}; the delta is rebuilt with {@link Delta#fromChanges}. Read in one pass: the message's
   * own structure is parsed as it streams by and only the values are built.
   *
   * @throws IllegalStateException if {@code json} is not such a message (trailing text included)
   */
  public DeltaRecord readDeltaMessage(String contextId, String json, String epoch) {
    Long version = null;
    Long insertedAt = null;
    List<Change> changes = null;
    try (JsonParser p = factory.createParser(json)) {
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

  /** A delta message's {@code changes}, read as they stream by; only the values are built. */
  private List<Change> changes(JsonParser p, JsonToken token, String json) throws IOException {
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
          case "old" -> old = read(p);
          case "value" -> value = read(p);
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

  private static void expect(@Nullable JsonToken token, @Nullable JsonToken expected, String json) {
    if (token != expected) {
      throw notAMessage(json, null);
    }
  }

  private static IllegalStateException notAMessage(String json, @Nullable Exception cause) {
    return new IllegalStateException("not a delta message: " + abbreviate(json), cause);
  }

  /** {@code text} cut to 200 characters, for error messages. */
  public static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "…";
  }

  /**
   * The escapes chord-jdbc has always written, byte for byte (its leaf paths are primary keys, so
   * the text of a key must not change): {@code \"} and {@code \\}, and every control character and
   * every surrogate {@code char} as {@code \}{@code u} and four lowercase hex digits.
   */
  private static final class JsonbEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private static final int[] ASCII = asciiEscapes();

    private static int[] asciiEscapes() {
      int[] codes = CharacterEscapes.standardAsciiEscapesForJSON();
      for (int c = 0; c < 0x20; c++) {
        codes[c] = CharacterEscapes.ESCAPE_CUSTOM;
      }
      return codes;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ASCII;
    }

    @Override
    public @Nullable SerializableString getEscapeSequence(int ch) {
      if (ch >= 0x20 && !Character.isSurrogate((char) ch)) {
        return null;
      }
      return new SerializedString(String.format(Locale.ROOT, "\\u%04x", ch));
    }
  }
}
