package dev.chord.server;

import io.javalin.http.Context;
import io.javalin.http.RequestLogger;
import io.javalin.router.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is logged per request, once it is answered: one WARN line for a failed one (status ≥ 400)
 * naming the route, the context id, the status and the cause; nothing for a successful one, unless
 * the access log is on (logger {@value #ACCESS_LOGGER}, INFO, one line per request). Also names the
 * request's route for the HTTP timer ({@link ServerMetrics#ROUTE}).
 */
final class RequestLog implements RequestLogger {
  /** The access log's logger, so that it can be routed to a file of its own. */
  static final String ACCESS_LOGGER = "dev.chord.server.access";

  /** The request attribute {@link HttpApi#fail} leaves: the {@link ApiException} answered. */
  static final String ERROR = "chord.error";

  /** The request attribute {@link HttpApi#fail} leaves: what was thrown. */
  static final String CAUSE = "chord.cause";

  private static final Logger log = LoggerFactory.getLogger(RequestLog.class);
  private static final Logger access = LoggerFactory.getLogger(ACCESS_LOGGER);

  private final boolean accessLog;

  RequestLog(boolean accessLog) {
    this.accessLog = accessLog;
  }

  @Override
  public void handle(Context ctx, Float millis) {
    String route = route(ctx);
    ctx.attribute(ServerMetrics.ROUTE, route);
    int status = ctx.statusCode();
    String id = ctx.pathParamMap().get("id");
    if (status >= 400) {
      log.warn(
          "request failed: {} {} context={} status={} cause={}",
          ctx.method(),
          route,
          id == null ? "-" : id,
          status,
          cause(ctx));
    }
    if (accessLog) {
      access.info(
          "{} {} {} status={} context={} ms={}",
          ctx.ip(),
          ctx.method(),
          ctx.path(),
          status,
          id == null ? "-" : id,
          String.format(java.util.Locale.ROOT, "%.1f", millis));
    }
  }

  /** The route template that served the request: bounded, unlike the path. */
  static String route(Context ctx) {
    Endpoint endpoint = ctx.endpoints().lastHttpEndpoint();
    if (endpoint != null) {
      return endpoint.path;
    }
    return ctx.statusCode() == 404 ? "NOT_FOUND" : "static";
  }

  private static String cause(Context ctx) {
    ApiException error = ctx.attribute(ERROR);
    if (error == null) {
      return "-";
    }
    Object thrown = ctx.attribute(CAUSE);
    String text = error.code() + ": " + error.getMessage();
    return thrown instanceof ApiException || thrown == null ? text : text + " (" + thrown + ")";
  }
}
