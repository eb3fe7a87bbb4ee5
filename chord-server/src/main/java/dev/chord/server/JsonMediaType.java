package dev.chord.server;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which {@code Content-Type} declares a JSON body: {@code application/json} or {@code
 * application/<anything>+json} (RFC 6839, such as {@code application/merge-patch+json}), in any
 * case, with parameters, of which a {@code charset} must name UTF-8 (RFC 8259 §8.1).
 */
final class JsonMediaType {
  /** {@code application/json} or a {@code +json} subtype, the subtype an RFC 9110 token. */
  private static final Pattern JSON =
      Pattern.compile("application/(json|[a-z0-9!#$%&'*.^_`|~+-]+\\+json)");

  private JsonMediaType() {}

  /** Whether {@code contentType} (a header value) declares UTF-8 JSON. */
  static boolean accepts(String contentType) {
    String[] parts = contentType.split(";", -1);
    if (!JSON.matcher(parts[0].trim().toLowerCase(Locale.ROOT)).matches()) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].trim();
      int eq = parameter.indexOf('=');
      if (eq < 0) {
        if (!parameter.isEmpty()) {
          return false;
        }
        continue;
      }
      String name = parameter.substring(0, eq).trim();
      String value = parameter.substring(eq + 1).trim();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      if (name.equalsIgnoreCase("charset") && !value.equalsIgnoreCase("utf-8")) {
        return false;
      }
    }
    return true;
  }
}
