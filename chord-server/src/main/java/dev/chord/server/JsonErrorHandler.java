package dev.chord.server;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's error handler, on the server and on the servlet context: the errors Jetty answers by
 * itself, before the API sees the request (a malformed URI, a request line or headers too long, an
 * unknown HTTP version, a failure outside the handlers), get the same {@code {"error", "message"}}
 * body as the API's own, with the code of {@link ApiException#codeOf}. The message is this server's
 * own: Jetty's reason and the cause (an exception's text) are logged, never sent.
 */
final class JsonErrorHandler implements Request.Handler {
  private static final Logger log = LoggerFactory.getLogger(JsonErrorHandler.class);

  private final int maxHeaderBytes;

  /**
   * @param maxHeaderBytes the limit of the request line and headers, named in the 414 and 431
   */
  JsonErrorHandler(int maxHeaderBytes) {
    this.maxHeaderBytes = maxHeaderBytes;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status =
        request.getAttribute(ErrorHandler.ERROR_STATUS) instanceof Integer code
            ? code
            : response.getStatus();
    if (status < 400) {
      status = 500;
    }
    Object cause = request.getAttribute(ErrorHandler.ERROR_EXCEPTION);
    if (status >= 500) {
      log.error(
          "answered {} to {} {}: {}",
          status,
          request.getMethod(),
          request.getHttpURI().getPath(),
          request.getAttribute(ErrorHandler.ERROR_MESSAGE),
          cause instanceof Throwable t ? t : null);
    } else {
      log.debug("answered {}: {}", status, request.getAttribute(ErrorHandler.ERROR_MESSAGE), cause);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", ApiException.codeOf(status));
    body.put("message", message(status));
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(Json.writeBytes(body)), callback);
    return true;
  }

  private String message(int status) {
    return switch (status) {
      case 400 -> "the request is malformed: its request line, URI or headers are not valid HTTP";
      case 408 -> "the request did not arrive in time";
      case 413 -> "the request is too large";
      case 414 -> "the request line is longer than the limit of " + maxHeaderBytes + " bytes";
      case 431 -> "the request headers are larger than the limit of " + maxHeaderBytes + " bytes";
      case 505 -> "this server speaks HTTP/1.0 and HTTP/1.1 only";
      default -> status >= 500 ? "unexpected server error" : HttpStatus.getMessage(status);
    };
  }
}
