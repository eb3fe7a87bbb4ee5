package dev.chord.server;

import dev.chord.Epochs;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code If-Match} or {@code If-None-Match} of a write (RFC 9110 §13.1), over this server's
 * strong entity tags {@code "<epoch>.<version>"}.
 */
sealed interface Precondition {

  /** {@code If-Match: *}: the context must exist. */
  record Exists() implements Precondition {}

  /** {@code If-None-Match: *}: the context must not exist (create only). */
  record Absent() implements Precondition {}

  /** {@code If-Match: "E.v", …}: the context must be at one of these states. */
  record AnyOf(List<Tag> tags) implements Precondition {}

  /** One state of a context, as its ETag names it. */
  record Tag(String epoch, long version) {}

  /** The digits of the largest version, {@link Long#MAX_VALUE}. */
  int MAX_VERSION_DIGITS = String.valueOf(Long.MAX_VALUE).length();

  String ETAG_FORM =
      "use the ETag \"<epoch>.<version>\" of the state you read, with its double quotes, as the"
          + " server sent it";

  /**
   * The precondition of a write, from its {@code If-Match} and {@code If-None-Match} header values
   * ({@code null}: not sent); {@code null} when it has none.
   *
   * @throws ApiException 400 for both headers at once, an {@code If-None-Match} other than {@code
   *     *}, or an {@code If-Match} that is not {@code *} or a list of this server's strong ETags (a
   *     bare version such as {@code 7} or {@code "7"}, a weak tag, anything malformed)
   */
  static Precondition parse(String ifMatch, String ifNoneMatch) {
    if (ifMatch != null && ifNoneMatch != null) {
      throw ApiException.badRequest("send If-Match or If-None-Match, not both");
    }
    if (ifNoneMatch != null) {
      if (!ifNoneMatch.trim().equals("*")) {
        throw ApiException.badRequest(
            "If-None-Match on a write must be * (create only), was '" + ifNoneMatch + "'");
      }
      return new Absent();
    }
    if (ifMatch == null) {
      return null;
    }
    if (ifMatch.trim().equals("*")) {
      return new Exists();
    }
    return new AnyOf(tags(ifMatch));
  }

  private static List<Tag> tags(String header) {
    List<Tag> tags = new ArrayList<>();
    int n = header.length();
    // RFC 9110 lists: elements separated by commas and optional white space, empty ones allowed
    for (int i = skip(header, 0, ",\t "); i < n; i = skip(header, i, ",\t ")) {
      int close = header.charAt(i) == '"' ? header.indexOf('"', i + 1) : -1;
      Tag tag = close < 0 ? null : tag(header.substring(i + 1, close));
      if (tag == null) {
        throw malformed(header);
      }
      tags.add(tag);
      i = skip(header, close + 1, "\t ");
      if (i < n && header.charAt(i) != ',') {
        throw malformed(header);
      }
    }
    if (tags.isEmpty()) {
      throw malformed(header);
    }
    return tags;
  }

  /**
   * The index of the first character of {@code s} at or after {@code i} not among {@code chars}.
   */
  private static int skip(String s, int i, String chars) {
    while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    return i;
  }

  /**
   * The state named by the inside of a tag, {@code null} if it is not {@code <epoch>.<version>}
   * exactly as the server writes it: strong comparison is octet equality, so a version with leading
   * zeros ({@code "E.0005"}) names no state the server ever tagged, rather than version 5.
   */
  private static Tag tag(String opaque) {
    int dot = opaque.indexOf('.');
    if (dot < 0 || !Epochs.isValid(opaque.substring(0, dot))) {
      return null;
    }
    String digits = opaque.substring(dot + 1);
    if (digits.isEmpty()
        || digits.charAt(0) == '0'
        || digits.length() > MAX_VERSION_DIGITS
        || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return null;
    }
    try {
      return new Tag(opaque.substring(0, dot), Long.parseLong(digits));
    } catch (NumberFormatException pastTheLargestVersion) {
      return null;
    }
  }

  private static ApiException malformed(String header) {
    String shown = header.length() > 80 ? header.substring(0, 80) + "…" : header;
    return ApiException.badRequest(
        "If-Match must be * or a list of strong entity tags: "
            + ETAG_FORM
            + " (If-None-Match: * creates only); was '"
            + shown
            + "'");
  }
}
