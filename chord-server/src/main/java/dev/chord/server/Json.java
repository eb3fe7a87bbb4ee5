package dev.chord.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
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

  private final ObjectReader reader;
  private final int maxDepth;

  Json(int maxDepth) {
    this.maxDepth = maxDepth;
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder().maxNestingDepth(maxDepth).build())
            .build();
    ObjectMapper mapper = new ObjectMapper(factory);
    mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    this.reader = mapper.readerFor(MAP);
  }

  /**
   * The JSON object in {@code body}.
   *
   * @throws ApiException 400 if it is not one well-formed JSON object within the depth limit
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
      throw new ApiException(
          400, "too_deep", "JSON nesting is deeper than the limit of " + maxDepth + " levels");
    } catch (JsonProcessingException e) {
      throw new ApiException(400, "invalid_json", "malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
