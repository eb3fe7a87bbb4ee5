package dev.chord.jdbc;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * JSON for what Chord stores in PostgreSQL, so that every value reads back with its Java type, also
 * after a round trip through {@code jsonb}.
 *
 * <p>Integers are written without a point and read as {@code Long} (beyond 2^53 too). A {@code
 * Double} is written as Java prints it when that has a point and no exponent ({@code 0.1}, {@code
 * 1.0}): it reads back as a {@code Double}, and {@code jsonb} keeps that text as it is. Anything
 * JSON (or {@code jsonb}'s {@code numeric}, which expands {@code 1.0E300} to 301 digits and drops
 * the sign of {@code -0.0}) cannot tell apart gets a one-entry wrapper object:
 *
 * <ul>
 *   <li>{@code Double} with an exponent, and {@code -0.0}: {@code {"$dbl": "1.0E300"}};
 *   <li>{@code BigDecimal}: {@code {"$dec": "1.50"}} (its string form keeps the scale);
 *   <li>{@code BigInteger}: {@code {"$int": "123"}};
 *   <li>a user map with exactly one key that starts with {@code $}: {@code {"$map": {...}}}, so a
 *       map such as {@code {"$dec": "x"}} is never mistaken for a wrapper.
 * </ul>
 *
 * <p>Strings are escaped so that the text is ASCII-safe where it matters: quotes, backslashes,
 * control characters (U+0000 included) and surrogates become {@code \}{@code uXXXX} escapes, so the
 * text fits a PostgreSQL {@code text} column whatever the string holds ({@code jsonb} itself
 * refuses U+0000 and unpaired surrogates; {@link JdbcContextStore} checks for them).
 *
 * <p>Values read here are plain mutable collections; callers freeze them with {@link
 * dev.chord.spi.Snapshots}.
 */
final class TypedJson {
  private static final String DOUBLE = "$dbl";
  private static final String DECIMAL = "$dec";
  private static final String INTEGER = "$int";
  private static final String MAP = "$map";

  private TypedJson() {}

  /** The typed JSON of one JSON-like value. */
  static String write(@Nullable Object value) {
    StringBuilder out = new StringBuilder();
    write(out, value);
    return out.toString();
  }

  /** Appends the typed JSON of one JSON-like value to {@code out}. */
  static void write(StringBuilder out, @Nullable Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String s) {
      string(out, s);
    } else if (value instanceof Boolean b) {
      out.append(b.booleanValue());
    } else if (value instanceof Long l) {
      out.append(l.longValue());
    } else if (value instanceof Double d) {
      String text = d.toString();
      if (text.indexOf('E') >= 0 || text.equals("-0.0")) {
        wrapper(out, DOUBLE, text);
      } else {
        out.append(text);
      }
    } else if (value instanceof BigDecimal d) {
      wrapper(out, DECIMAL, d.toString());
    } else if (value instanceof BigInteger i) {
      wrapper(out, INTEGER, i.toString());
    } else if (value instanceof Map<?, ?> map) {
      boolean wrapped =
          map.size() == 1 && ((String) map.keySet().iterator().next()).startsWith("$");
      if (wrapped) {
        out.append("{\"").append(MAP).append("\":");
      }
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        string(out, (String) entry.getKey());
        out.append(':');
        write(out, entry.getValue());
      }
      out.append('}');
      if (wrapped) {
        out.append('}');
      }
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(out, list.get(i));
      }
      out.append(']');
    } else {
      // Chord hands backends frozen data only (Snapshots): nothing else can reach here.
      throw new IllegalArgumentException("not a JSON-like value: " + value.getClass().getName());
    }
  }

  private static void wrapper(StringBuilder out, String tag, String text) {
    out.append("{\"").append(tag).append("\":\"").append(text).append("\"}");
  }

  /** Appends {@code s} as a JSON string. */
  static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || Character.isSurrogate(c)) {
        out.append("\\u");
        String hex = Integer.toHexString(c);
        out.append("0".repeat(4 - hex.length())).append(hex);
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }

  /**
   * The value of typed JSON written by {@link #write}, or as {@code jsonb} prints it back.
   *
   * @throws IllegalStateException if {@code json} is not such text
   */
  static @Nullable Object read(String json) {
    Parser p = new Parser(json);
    Object tree = p.value();
    p.end();
    return interpret(tree);
  }

  /**
   * The string list of a JSON array of strings, such as a stored path.
   *
   * @throws IllegalStateException if {@code json} is not such text
   */
  static List<String> readStrings(String json) {
    Parser p = new Parser(json);
    Object tree = p.value();
    p.end();
    if (!(tree instanceof List<?> list)) {
      throw new IllegalStateException("not a JSON array: " + abbreviate(json));
    }
    List<String> out = new ArrayList<>(list.size());
    for (Object item : list) {
      if (!(item instanceof String s)) {
        throw new IllegalStateException("not an array of strings: " + abbreviate(json));
      }
      out.add(s);
    }
    return out;
  }

  /**
   * Turns the plain tree into values, top-down, because whether an object is a wrapper depends on
   * where it is: the object inside {@code $map} is the user's map as is, even if it looks like one.
   */
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

  static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "…";
  }

  /** A recursive-descent reader of plain JSON: objects as {@link Obj}, numbers as Long/Double. */
  private static final class Parser {
    private final String text;
    private int at;

    Parser(String text) {
      this.text = text;
    }

    @Nullable Object value() {
      skipSpace();
      if (at >= text.length()) {
        throw fail("unexpected end");
      }
      char c = text.charAt(at);
      switch (c) {
        case '{':
          return object();
        case '[':
          return array();
        case '"':
          return string();
        case 't':
          literal("true");
          return Boolean.TRUE;
        case 'f':
          literal("false");
          return Boolean.FALSE;
        case 'n':
          literal("null");
          return null;
        default:
          return number();
      }
    }

    void end() {
      skipSpace();
      if (at != text.length()) {
        throw fail("trailing characters");
      }
    }

    private Obj object() {
      at++;
      Map<String, @Nullable Object> entries = new LinkedHashMap<>();
      skipSpace();
      if (peek() == '}') {
        at++;
        return new Obj(entries);
      }
      while (true) {
        skipSpace();
        if (peek() != '"') {
          throw fail("expected a key");
        }
        String key = string();
        skipSpace();
        expect(':');
        entries.put(key, value());
        skipSpace();
        char c = next();
        if (c == '}') {
          return new Obj(entries);
        }
        if (c != ',') {
          throw fail("expected , or }");
        }
      }
    }

    private List<@Nullable Object> array() {
      at++;
      List<@Nullable Object> items = new ArrayList<>();
      skipSpace();
      if (peek() == ']') {
        at++;
        return items;
      }
      while (true) {
        items.add(value());
        skipSpace();
        char c = next();
        if (c == ']') {
          return items;
        }
        if (c != ',') {
          throw fail("expected , or ]");
        }
      }
    }

    private String string() {
      at++;
      int start = at;
      // Most strings have no escapes: take them in one piece.
      while (at < text.length()) {
        char c = text.charAt(at);
        if (c == '"') {
          return text.substring(start, at++);
        }
        if (c == '\\') {
          break;
        }
        at++;
      }
      StringBuilder out = new StringBuilder(text.substring(start, at));
      while (true) {
        char c = next();
        if (c == '"') {
          return out.toString();
        }
        if (c != '\\') {
          out.append(c);
          continue;
        }
        char e = next();
        switch (e) {
          case '"', '\\', '/' -> out.append(e);
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> {
            if (at + 4 > text.length()) {
              throw fail("short \\u escape");
            }
            try {
              out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
            } catch (NumberFormatException bad) {
              throw fail("bad \\u escape");
            }
            at += 4;
          }
          default -> throw fail("bad escape");
        }
      }
    }

    private Object number() {
      int start = at;
      boolean fraction = false;
      while (at < text.length()) {
        char c = text.charAt(at);
        if (c == '.' || c == 'e' || c == 'E') {
          fraction = true;
        } else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9'))) {
          break;
        }
        at++;
      }
      String number = text.substring(start, at);
      try {
        return fraction ? (Object) Double.valueOf(number) : (Object) Long.valueOf(number);
      } catch (NumberFormatException e) {
        throw fail("bad number '" + number + "'");
      }
    }

    private void literal(String word) {
      if (!text.startsWith(word, at)) {
        throw fail("expected " + word);
      }
      at += word.length();
    }

    private void skipSpace() {
      while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
        at++;
      }
    }

    private char peek() {
      if (at >= text.length()) {
        throw fail("unexpected end");
      }
      return text.charAt(at);
    }

    private char next() {
      char c = peek();
      at++;
      return c;
    }

    private void expect(char c) {
      if (next() != c) {
        throw fail("expected " + c);
      }
    }

    private IllegalStateException fail(String why) {
      return new IllegalStateException(
          "unreadable JSON in PostgreSQL (" + why + " at " + at + "): " + abbreviate(text));
    }
  }
}
