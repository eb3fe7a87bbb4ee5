package dev.chord.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * JSON in and out. Reading enforces the server's limits while parsing (nesting depth, duplicate
 * keys, trailing garbage), so a hostile body is refused before it is ever materialised as a tree.
 */
final class Json {
  private static final ObjectMapper WRITER = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  /** The most digits of a number in a body. */
  static final int MAX_NUMBER_DIGITS = 1000;

  /** The longest key in a body, in characters. */
  static final int MAX_KEY_CHARS = 50_000;

  /** The longest string in a body, in characters (the parser's default). */
  static final int MAX_STRING_CHARS = StreamReadConstraints.DEFAULT_MAX_STRING_LEN;

  private final ObjectReader reader;
  private final int maxDepth;

  Json(int maxDepth) {
    this.maxDepth = maxDepth;
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(maxDepth)
                    .maxNumberLength(MAX_NUMBER_DIGITS)
                    .maxNameLength(MAX_KEY_CHARS)
                    .build())
            .build();
    ObjectMapper mapper = new ObjectMapper(factory);
    mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    this.reader = mapper.readerFor(MAP);
  }

  /**
   * The JSON object in {@code body}. The messages of its refusals are this server's own: the
   * parser's name neither the parser nor the Java types it reads into.
   *
   * @throws ApiException 400: {@code too_deep} if nested deeper than the limit, {@code too_large}
   *     for a number, key or string longer than the limits, {@code invalid_json} if it is not one
   *     well-formed JSON object
   */
  Map<String, Object> readObject(byte[] body) {
    if (body.length == 0) {
      throw new ApiException(400, "invalid_json", "the request body is empty; send a JSON object");
    }
    try {
      Map<String, Object> map = reader.readValue(body);
      if (map == null) {
        throw new ApiException(
            400, "invalid_json", "the request body must be a JSON object, was null");
      }
      return map;
    } catch (StreamConstraintsException e) {
      throw overLimit(e);
    } catch (MismatchedInputException e) {
      throw new ApiException(
          400,
          "invalid_json",
          e.getOriginalMessage().startsWith("Trailing token")
              ? "malformed JSON: text after the object" + at(e)
              : "the request body must be a JSON object");
    } catch (JsonProcessingException e) {
      String what =
          e.getOriginalMessage().startsWith("Duplicate")
              ? "a key appears twice in one object"
              : "not valid JSON (which has no comments, single quotes, NaN or trailing commas)";
      throw new ApiException(400, "invalid_json", "malformed JSON: " + what + at(e));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Which of the parser's limits the body broke, told by the start of the parser's message. */
  private ApiException overLimit(StreamConstraintsException e) {
    String limit = String.valueOf(e.getOriginalMessage());
    if (limit.startsWith("Document nesting depth")) {
      return new ApiException(
          400, "too_deep", "JSON nesting is deeper than the limit of " + maxDepth + " levels");
    }
    String what;
    if (limit.startsWith("Number value length")) {
      what = "a number has more than " + MAX_NUMBER_DIGITS + " digits";
    } else if (limit.startsWith("Name length")) {
      what = "a key is longer than " + MAX_KEY_CHARS + " characters";
    } else if (limit.startsWith("String value length")) {
      what = "a string is longer than " + MAX_STRING_CHARS + " characters";
    } else {
      what = "a value is larger than this server accepts";
    }
    return new ApiException(400, "too_large", "the JSON is too large: " + what + at(e));
  }

  private static String at(JsonProcessingException e) {
    JsonLocation location = e.getLocation();
    return location == null || location.getLineNr() < 1
        ? ""
        : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }

  /** {@code value} as JSON text. */
  static String write(Object value) {
    try {
      return WRITER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** {@code value} as UTF-8 JSON bytes. */
  static byte[] writeBytes(Object value) {
    try {
      return WRITER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Parses trusted JSON text (files this server wrote, tokens it signed). */
  static Map<String, Object> readTrusted(byte[] json) throws IOException {
    return WRITER.readValue(json, MAP);
  }
}
