package dev.chord.redis;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Names of the Redis keys and channels of one context: {@code <prefix>:{<tag>}:meta}, {@code
 * :data}, {@code :log} and the channel {@code :feed}, where the tag is the context id's UTF-8 bytes
 * in unpadded base64url.
 *
 * <p>Why encoded: Redis Cluster hashes only the text between the first {@code {} and the next
 * {@code }}, so an id containing {@code }} (or an empty tag) would split one context over several
 * slots. Base64url has no braces, keeps every id apart, and its tag always puts the three keys of a
 * context in one slot, so one script can touch them all.
 */
final class Keys {
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private final String prefix;

  Keys(String prefix) {
    if (prefix == null || prefix.isEmpty()) {
      throw new IllegalArgumentException("key prefix must not be empty");
    }
    if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
      throw new IllegalArgumentException(
          "key prefix must not contain '{' or '}' (they would move the hash tag), was '"
              + prefix
              + "'");
    }
    this.prefix = prefix;
  }

  static String tag(String contextId) {
    return ENCODER.encodeToString(contextId.getBytes(StandardCharsets.UTF_8));
  }

  static String idOfTag(String tag) {
    return new String(DECODER.decode(tag), StandardCharsets.UTF_8);
  }

  /** The keys one script call on the context needs: meta, data, log. */
  String[] of(String contextId) {
    String base = prefix + ":{" + tag(contextId) + "}:";
    return new String[] {base + "meta", base + "data", base + "log"};
  }

  String meta(String tag) {
    return prefix + ":{" + tag + "}:meta";
  }

  String channel(String contextId) {
    return prefix + ":{" + tag(contextId) + "}:feed";
  }

  /** The SCAN pattern that finds every context's meta key, the prefix's glob characters escaped. */
  String metaPattern() {
    StringBuilder out = new StringBuilder();
    for (char c : prefix.toCharArray()) {
      if ("*?[]\\".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.append(":{*}:meta").toString();
  }

  /**
   * The tag of a meta key found by {@link #metaPattern}, or {@code null} if the key only looks like
   * one (someone else's key under the prefix: the pattern's {@code *} matches anything).
   */
  String tagOfMeta(String key) {
    String tag = key.substring(prefix.length() + 2, key.length() - "}:meta".length());
    for (int i = 0; i < tag.length(); i++) {
      char c = tag.charAt(i);
      boolean base64url =
          c >= 'A' && c <= 'Z'
              || c >= 'a' && c <= 'z'
              || c >= '0' && c <= '9'
              || c == '-'
              || c == '_';
      if (!base64url) {
        return null;
      }
    }
    return tag.isEmpty() || tag.length() % 4 == 1 ? null : tag;
  }
}
