package dev.chord.server;

import java.util.Map;

/**
 * A request that fails with a given HTTP status; rendered as {@code {"error": code, "message":
 * message, …extra}}.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final transient Map<String, Object> extra;

  ApiException(int status, String code, String message) {
    this(status, code, message, Map.of());
  }

  ApiException(int status, String code, String message, Map<String, Object> extra) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, "bad_request", message);
  }

  /**
   * The stable {@code error} code of a status that has one code only, for errors raised outside the
   * API's own handlers (Jetty's, Javalin's); a 400 without a more precise code is {@code
   * bad_request}, any 5xx {@code internal_error}.
   */
  static String codeOf(int status) {
    return switch (status) {
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "request_timeout";
      case 413 -> "payload_too_large";
      case 414 -> "uri_too_long";
      case 415 -> "unsupported_media_type";
      case 431 -> "headers_too_large";
      case 501 -> "not_implemented";
      case 505 -> "http_version_not_supported";
      default -> status >= 500 ? "internal_error" : "bad_request";
    };
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  Map<String, Object> extra() {
    return extra;
  }
}
