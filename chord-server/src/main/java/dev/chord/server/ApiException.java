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
