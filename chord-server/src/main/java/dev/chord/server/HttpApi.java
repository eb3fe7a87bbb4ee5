package dev.chord.server;

import dev.chord.BackendException;
import dev.chord.Chord;
import dev.chord.ChordConfigurationException;
import dev.chord.ChordException;
import dev.chord.CleanupReport;
import dev.chord.ContextNotFoundException;
import dev.chord.ContextUpdate;
import dev.chord.DeltaRecord;
import dev.chord.VersionConflictException;
import dev.chord.spi.Backend;
import dev.chord.spi.Snapshots;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP handlers and the mapping of failures to JSON errors. Every limit and permission is
 * checked before anything is written, so a refused request stores nothing.
 */
final class HttpApi {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  /** Context ids: letters, digits and {@code . _ : ~ -}; no slash, space or control character. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:~-]+");

  /** The prefix of the ids of the server's own contexts, which no request may name. */
  static final String RESERVED_PREFIX = "chord:";

  /**
   * How often an {@code If-Match: *} write is retried after conflicts with concurrent writes before
   * it gives up with the last conflict; far above any real contention.
   */
  private static final int MAX_EXISTS_ATTEMPTS = 1000;

  private final Chord chord;
  private final Backend backend;
  private final LiveHub hub;
  private final Access access;
  private final Json json;
  private final String backendName;
  private final int maxIdLength;

  HttpApi(
      Chord chord,
      Backend backend,
      LiveHub hub,
      Access access,
      Json json,
      String backendName,
      int maxIdLength) {
    this.chord = chord;
    this.backend = backend;
    this.hub = hub;
    this.access = access;
    this.json = json;
    this.backendName = backendName;
    this.maxIdLength = maxIdLength;
  }

  // ---- handlers ----

  void put(Context ctx) {
    String id = authorized(ctx, Right.WRITE);
    WireFormat format = WireFormat.parse(ctx.queryParam("format"));
    Precondition condition = precondition(ctx);
    Map<String, Object> body = body(ctx);
    ContextUpdate update =
        write(
            id,
            condition,
            () -> chord.setContext(id, body),
            (version, epoch) -> chord.setContext(id, body, version, epoch));
    boolean created = update.changed() && update.context().version() == 1;
    respondUpdate(ctx.status(created ? 201 : 200), update, format);
  }

  void patch(Context ctx) {
    String id = authorized(ctx, Right.WRITE);
    WireFormat format = WireFormat.parse(ctx.queryParam("format"));
    Precondition condition = precondition(ctx);
    Map<String, Object> body = body(ctx);
    ContextUpdate update =
        write(
            id,
            condition,
            () -> chord.updateContext(id, body),
            (version, epoch) -> chord.updateContext(id, body, version, epoch));
    respondUpdate(ctx, update, format);
  }

  void get(Context ctx) {
    String id = authorized(ctx, Right.READ);
    dev.chord.Context context =
        chord.getContext(id).orElseThrow(() -> new ContextNotFoundException(id));
    ctx.header("ETag", Messages.etag(context));
    send(ctx, Messages.context(context));
  }

  void sync(Context ctx) {
    String id = authorized(ctx, Right.READ);
    WireFormat format = WireFormat.parse(ctx.queryParam("format"));
    ClientState client = ClientState.parse(ctx.queryParam("version"), ctx.queryParam("epoch"));
    send(ctx, Messages.sync(client.sync(chord, id), format));
  }

  void delete(Context ctx) {
    String id = authorized(ctx, Right.WRITE);
    chord.deleteContext(id);
    ctx.status(204);
  }

  void export(Context ctx) {
    String id = authorized(ctx, Right.ADMIN);
    chord.exportContext(id);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("contextId", id);
    out.put("exported", true);
    send(ctx, out);
  }

  void restore(Context ctx) {
    String id = authorized(ctx, Right.ADMIN);
    dev.chord.Context restored = chord.restoreContext(id);
    ctx.header("ETag", Messages.etag(restored));
    send(ctx, Messages.context(restored));
  }

  void cleanup(Context ctx) {
    access.require(Access.bearer(ctx.header("Authorization")), null, Right.ADMIN);
    String limit = ctx.queryParam("limit");
    CleanupReport report;
    if (limit == null) {
      report = chord.cleanup();
    } else {
      report = chord.cleanup(positiveInt(limit, "limit"));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("contextsDeleted", report.contextsDeleted());
    out.put("deltasDeleted", report.deltasDeleted());
    send(ctx, out);
  }

  void health(Context ctx) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("backend", backendName);
    out.put("auth", access.open() ? "open" : "token");
    out.put("liveConnections", hub.connectionCount());
    try {
      backend.probe();
      out.put("status", "ok");
      ctx.status(200);
    } catch (BackendException e) {
      out.put("status", "unavailable");
      log.warn("health check: backend failure", e);
      out.put("message", "storage is unavailable");
      ctx.status(503);
    }
    send(ctx, out);
  }

  // ---- request parts ----

  /** The validated context id of the request, once the caller has {@code right} on it. */
  private String authorized(Context ctx, Right right) {
    String id = contextId(ctx.pathParam("id"));
    access.require(Access.bearer(ctx.header("Authorization")), id, right);
    return id;
  }

  /**
   * {@code raw} if it is a valid context id.
   *
   * @throws ApiException 400 otherwise
   */
  String contextId(String raw) {
    if (raw == null || raw.isEmpty()) {
      throw ApiException.badRequest("the context id is empty");
    }
    if (raw.length() > maxIdLength) {
      throw ApiException.badRequest(
          "the context id is " + raw.length() + " characters long; the limit is " + maxIdLength);
    }
    if (!ID.matcher(raw).matches()) {
      throw ApiException.badRequest(
          "the context id may contain only letters, digits and . _ : ~ -");
    }
    if (raw.startsWith(RESERVED_PREFIX)) {
      // The server's own contexts (the presence registry): a client that could write or delete
      // them could have the presence of live connections on every node swept away.
      throw new ApiException(
          403,
          "reserved_context",
          "context ids starting with '" + RESERVED_PREFIX + "' are the server's own");
    }
    return raw;
  }

  /**
   * The precondition of a write, from all its {@code If-Match} and {@code If-None-Match} lines.
   *
   * @throws ApiException 400 if malformed
   */
  private static Precondition precondition(Context ctx) {
    return Precondition.parse(headerList(ctx, "If-Match"), headerList(ctx, "If-None-Match"));
  }

  /** Every line of a list-valued header joined by commas (RFC 9110 §5.3); {@code null} if none. */
  private static String headerList(Context ctx, String name) {
    List<String> lines = Collections.list(ctx.req().getHeaders(name));
    return lines.isEmpty() ? null : String.join(", ", lines);
  }

  /**
   * The JSON object the request carries, its data checked as Chord checks it. The body has been
   * read whole by the {@link BodyGate}, within its size and time limits, or refused there.
   *
   * @throws ApiException 415 for a body not declared as JSON, the gate's 413 or 408, 400 for a body
   *     that is not a JSON object of data Chord accepts
   */
  private Map<String, Object> body(Context ctx) {
    String type = ctx.contentType();
    boolean hasBody =
        ctx.req().getContentLengthLong() > 0 || ctx.header("Transfer-Encoding") != null;
    if (type == null ? hasBody : !JsonMediaType.accepts(type)) {
      throw new ApiException(
          415,
          "unsupported_media_type",
          "send JSON (Content-Type: application/json), not "
              + (type == null ? "a body without a Content-Type" : type));
    }
    if (ctx.req().getAttribute(BodyGate.REFUSAL) instanceof ApiException refused) {
      throw refused;
    }
    byte[] bytes;
    try (InputStream in = ctx.bodyInputStream()) {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      log.debug("could not read a request body", e);
      throw ApiException.badRequest("the request body could not be read");
    }
    Map<String, Object> body = json.readObject(bytes);
    try {
      Snapshots.freeze(body);
    } catch (IllegalArgumentException e) {
      // Chord's own check, run here so that its refusal is the client's error (400) while any
      // other IllegalArgumentException stays what it is: a bug of this server (500).
      throw new ApiException(400, "invalid_data", e.getMessage());
    }
    return body;
  }

  private static int positiveInt(String raw, String name) {
    try {
      int value = Integer.parseInt(raw);
      if (value >= 1) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ApiException.badRequest(name + " must be a whole number ≥ 1, was '" + raw + "'");
  }

  // ---- writes and responses ----

  /**
   * A conditional write: commits only on top of ({@code expectedEpoch}, {@code expectedVersion}).
   */
  @FunctionalInterface
  private interface ConditionalWrite {
    /** As {@link Chord#setContext(String, Map, long, String)}: 0 = only if absent. */
    ContextUpdate at(long expectedVersion, String expectedEpoch);
  }

  /**
   * Writes under {@code condition} ({@code null}: none).
   *
   * @throws VersionConflictException if the condition does not hold; nothing is stored
   */
  private ContextUpdate write(
      String id,
      Precondition condition,
      Supplier<ContextUpdate> unconditional,
      ConditionalWrite conditional) {
    if (condition == null) {
      return unconditional.get();
    }
    if (condition instanceof Precondition.Absent) {
      return conditional.at(0, null);
    }
    if (condition instanceof Precondition.AnyOf anyOf) {
      return onAnyOf(anyOf.tags(), conditional);
    }
    return whileExists(id, conditional);
  }

  /**
   * Writes on top of whichever listed state the context is at. Each tag is tried at most once: a
   * conflict names the state the context is at, and a context never returns to a state it left
   * (versions only grow within an epoch, and every incarnation has a new epoch).
   */
  private static ContextUpdate onAnyOf(List<Precondition.Tag> tags, ConditionalWrite write) {
    Set<Precondition.Tag> tried = new HashSet<>();
    Precondition.Tag tag = tags.get(0);
    while (true) {
      tried.add(tag);
      try {
        return write.at(tag.version(), tag.epoch());
      } catch (VersionConflictException e) {
        Precondition.Tag current = new Precondition.Tag(e.currentEpoch(), e.currentVersion());
        if (!tags.contains(current) || tried.contains(current)) {
          throw e;
        }
        tag = current;
      }
    }
  }

  /**
   * {@code If-Match: *}: writes on top of whatever state the context is at when the write commits,
   * but never creates it. A conflict with a concurrent write is not a failed precondition (the
   * context still exists), so the write is retried on the state the conflict names; only the
   * context's absence fails it.
   */
  private ContextUpdate whileExists(String id, ConditionalWrite write) {
    dev.chord.Context current = chord.getContext(id).orElse(null);
    if (current == null) {
      throw conflict(
          0, null, "no context '" + id + "' (If-Match: * needs one); nothing was stored");
    }
    long version = current.version();
    String epoch = current.epoch();
    for (int attempt = 1; ; attempt++) {
      try {
        return write.at(version, epoch);
      } catch (VersionConflictException e) {
        if (e.currentVersion() == 0 || attempt == MAX_EXISTS_ATTEMPTS) {
          throw e;
        }
        version = e.currentVersion();
        epoch = e.currentEpoch();
      }
    }
  }

  private static void respondUpdate(Context ctx, ContextUpdate update, WireFormat format) {
    DeltaRecord record = update.deltaRecord();
    Map<String, Object> context = Messages.context(update.context());
    String prefer = ctx.header("Prefer");
    if (prefer != null && prefer.toLowerCase(Locale.ROOT).contains("return=minimal")) {
      // RFC 7240: the writer does not need the whole context back (live clients get the delta),
      // and rendering it would make every write cost O(context size).
      context.remove("data");
      ctx.header("Preference-Applied", "return=minimal");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("context", context);
    out.put("delta", record == null ? null : format.format(record));
    out.put("changed", update.changed());
    ctx.header("ETag", Messages.etag(update.context()));
    send(ctx, out);
  }

  private static void send(Context ctx, Object body) {
    ctx.contentType("application/json").result(Json.writeBytes(body));
  }

  // ---- errors ----

  /** Renders any failure of a request as a JSON error with the right status. */
  static void fail(Exception e, Context ctx) {
    ApiException error = toApiError(e);
    ctx.attribute(RequestLog.ERROR, error);
    ctx.attribute(RequestLog.CAUSE, e);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("error", error.code());
    out.put("message", error.getMessage());
    out.putAll(error.extra());
    if (error.status() == 401) {
      ctx.header("WWW-Authenticate", "Bearer");
    }
    ctx.status(error.status());
    send(ctx, out);
    if (ctx.header("Sec-WebSocket-Version") != null) {
      // Javalin takes such a request down its WebSocket path, which never writes the result of a
      // refused upgrade: the client would get the status and an empty body.
      try {
        ctx.res().getOutputStream().write(Json.writeBytes(out));
      } catch (IOException gone) {
        log.debug("could not write the refusal of an upgrade: {}", gone.toString());
      }
    }
  }

  static ApiException toApiError(Exception e) {
    if (e instanceof ApiException api) {
      return api;
    }
    if (e instanceof VersionConflictException c) {
      String at =
          c.currentVersion() == 0
              ? "the context does not exist"
              : "the context is at ETag \"" + c.currentEpoch() + "." + c.currentVersion() + "\"";
      return conflict(c.currentVersion(), c.currentEpoch(), at + "; nothing was stored");
    }
    if (e instanceof ContextNotFoundException notFound) {
      return new ApiException(404, "not_found", "no context '" + notFound.contextId() + "'");
    }
    if (e instanceof ChordConfigurationException) {
      return new ApiException(
          501, "not_configured", "this server has no context store; start it with --store-dir");
    }
    if (e instanceof BackendException) {
      log.warn("backend failure", e);
      return new ApiException(
          503, "backend_unavailable", "storage is unavailable; try again later");
    }
    if (e instanceof ChordException) {
      log.warn("context store failure", e);
      return new ApiException(
          502, "store_failed", "the context store failed; see the server's log");
    }
    if (e instanceof HttpResponseException http && http.getStatus() < 500) {
      return new ApiException(
          http.getStatus(), ApiException.codeOf(http.getStatus()), http.getMessage());
    }
    log.error("unexpected failure", e);
    return new ApiException(500, "internal_error", "unexpected server error");
  }

  /**
   * The 412 of a failed precondition (RFC 9110 requires 412; the code stays {@code
   * version_conflict}), naming the state the context is at ({@code 0, null}: absent).
   */
  private static ApiException conflict(long currentVersion, String currentEpoch, String message) {
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("currentVersion", currentVersion);
    extra.put("currentEpoch", currentEpoch);
    return new ApiException(412, "version_conflict", message, extra);
  }
}
