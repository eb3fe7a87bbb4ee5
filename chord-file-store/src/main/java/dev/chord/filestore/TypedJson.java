package dev.chord.filestore;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * JSON that reads back every JSON-like value (see {@link dev.chord.spi.Snapshots}) with its Java
 * type: the convention chord-redis stores values in, so the two read each other's values.
 *
 * <p>Integers are written without a point and read as {@code Long} (exactly, beyond 2^53 too), a
 * {@code Double} always with a point or an exponent. What JSON cannot tell apart gets a one-entry
 * wrapper object: {@code {"$dec": "1.50"}} for a {@code BigDecimal} (its string keeps the scale),
 * {@code {"$int": "12"}} for a {@code BigInteger}, and {@code {"$map": {…}}} around a user map
 * whose only key starts with {@code $}, so that such a map is never mistaken for a wrapper.
 */
final class TypedJson {
  private static final String DECIMAL = "$dec";
  private static final String INTEGER = "$int";
  private static final String MAP = "$map";

  private TypedJson() {}

  /** Writes one JSON-like value. */
  static void write(JsonGenerator g, @Nullable Object value) throws IOException {
    if (value == null) {
      g.writeNull();
    } else if (value instanceof String s) {
      g.writeString(s);
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof Long l) {
      g.writeNumber(l);
    } else if (value instanceof Integer i) {
      g.writeNumber(i.longValue());
    } else if (value instanceof Double d) {
      g.writeNumber(d);
    } else if (value instanceof BigDecimal d) {
      wrapper(g, DECIMAL, d.toString());
    } else if (value instanceof BigInteger i) {
      wrapper(g, INTEGER, i.toString());
    } else if (value instanceof Map<?, ?> map) {
      boolean wrapped =
          map.size() == 1 && ((String) map.keySet().iterator().next()).startsWith("$");
      g.writeStartObject();
      if (wrapped) {
        g.writeFieldName(MAP);
        g.writeStartObject();
      }
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        g.writeFieldName((String) entry.getKey());
        write(g, entry.getValue());
      }
      if (wrapped) {
        g.writeEndObject();
      }
      g.writeEndObject();
    } else if (value instanceof List<?> list) {
      g.writeStartArray();
      for (Object item : list) {
        write(g, item);
      }
      g.writeEndArray();
    } else {
      // Chord hands exporters frozen data only (Snapshots): nothing else reaches here.
      throw new IllegalArgumentException("not a JSON-like value: " + value.getClass().getName());
    }
  }

  private static void wrapper(JsonGenerator g, String key, String text) throws IOException {
    g.writeStartObject();
    g.writeStringField(key, text);
    g.writeEndObject();
  }

  /**
   * Reads the value at the parser's current token, as {@link #write} wrote it. Two steps: the plain
   * tree first, objects kept as {@link Obj}, then {@link #interpret} top-down, because whether an
   * object is a wrapper depends on where it is (the object inside {@code $map} is the user's map as
   * is).
   */
  static @Nullable Object read(JsonParser p) throws IOException {
    return interpret(tree(p));
  }

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
}
