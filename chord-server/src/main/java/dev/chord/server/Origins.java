package dev.chord.server;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which web origins may use this server from a browser: those listed ({@code --allowed-origins}),
 * or every one with {@code *}; a page served by this server itself (same origin) and non-browser
 * clients (no {@code Origin} header) always may.
 *
 * <p>Browsers apply no CORS to WebSockets, so the live endpoint checks the {@code Origin} of every
 * upgrade itself: without that, any page a visitor opens could follow every context of an open
 * server through the visitor's browser. On the HTTP API the same list drives CORS: an allowed cross
 * origin gets {@code Access-Control-Allow-Origin} (and preflights answered), any other none at all.
 * Requests that change something (every method but GET and HEAD) from an origin not allowed are
 * refused as well, since a browser sends some of them (a bodiless POST) without asking first.
 *
 * <p>Before any of that, every request must be addressed to a name this server answers to ({@link
 * Hosts}): a page whose name was re-bound to this machine sends its own name as both {@code Origin}
 * and {@code Host}, so "same origin" is only ever granted to a {@code Host} the server trusts.
 */
final class Origins {
  static final String ALLOW_METHODS = "GET, PUT, PATCH, DELETE, POST, OPTIONS";
  static final String ALLOW_HEADERS =
      "Authorization, Content-Type, If-Match, If-None-Match, Prefer";

  /** How long a browser may cache a preflight answer, in seconds. */
  static final String MAX_AGE = "600";

  /** How a request's origin stands. */
  enum Verdict {
    /** No {@code Origin} header, or the server's own origin: no CORS needed. */
    SAME,
    /** Another origin that is allowed: answered with CORS headers. */
    ALLOWED,
    /** Another origin that is not allowed. */
    FORBIDDEN
  }

  private final boolean any;
  private final Set<String> listed;
  private final Hosts hosts;

  private Origins(boolean any, Set<String> listed, Hosts hosts) {
    this.any = any;
    this.listed = listed;
    this.hosts = hosts;
  }

  /**
   * The allow-list of {@code origins}: exact origins such as {@code https://app.example.com}, or
   * {@code *} for every one; for requests to the names {@code hosts} answers to.
   *
   * @throws IllegalArgumentException for an entry that is not {@code *} or an http(s) origin
   *     (scheme, host and optional port; no path)
   */
  static Origins of(Collection<String> origins, Hosts hosts) {
    boolean any = origins.stream().anyMatch(o -> o.trim().equals("*"));
    return new Origins(any, listed(origins), hosts);
  }

  /**
   * The hosts of the origins listed in {@code origins} ({@code *} left out), in lower case.
   *
   * @throws IllegalArgumentException as {@link #of} does
   */
  static Set<String> hosts(Collection<String> origins) {
    Set<String> hosts = new LinkedHashSet<>();
    for (String origin : listed(origins)) {
      hosts.add(URI.create(origin).getHost());
    }
    return hosts;
  }

  /** The origins listed, normalized, {@code *} left out. */
  private static Set<String> listed(Collection<String> origins) {
    Set<String> listed = new LinkedHashSet<>();
    for (String raw : origins) {
      String origin = raw.trim();
      if (origin.equals("*")) {
        continue;
      }
      String normal = normalize(origin);
      if (normal == null) {
        throw new IllegalArgumentException(
            "an allowed origin is * or scheme://host[:port] such as https://app.example.com"
                + " (http or https, no path), was '"
                + raw
                + "'");
      }
      listed.add(normal);
    }
    return Set.copyOf(listed);
  }

  /** How a request with {@code origin} (its header, or {@code null}) to {@code host} stands. */
  Verdict judge(String origin, String host) {
    if (origin == null || sameOrigin(origin, host)) {
      return Verdict.SAME;
    }
    if (any) {
      return Verdict.ALLOWED;
    }
    String normal = normalize(origin);
    return normal != null && listed.contains(normal) ? Verdict.ALLOWED : Verdict.FORBIDDEN;
  }

  /**
   * Before every HTTP request: a 421 for one to a name this server does not answer to; then {@code
   * Vary: Origin} on every answer, CORS headers for an allowed cross origin, a 403 for a request
   * that changes something from a forbidden one. Every answer depends on the {@code Origin}:
   * without {@code Vary} on those that carry no CORS headers, a shared cache could hand one of them
   * to a page of an allowed origin, which could not read it.
   *
   * @throws ApiException 421 {@code misdirected_host}, 403 {@code forbidden_origin}
   */
  void filter(Context ctx) {
    hosts.check(ctx);
    ctx.header("Vary", "Origin");
    String origin = ctx.header("Origin");
    Verdict verdict = judge(origin, ctx.header("Host"));
    if (verdict == Verdict.ALLOWED) {
      ctx.header("Access-Control-Allow-Origin", origin);
      ctx.header("Access-Control-Expose-Headers", "ETag");
    } else if (verdict == Verdict.FORBIDDEN
        && !HandlerType.GET.equals(ctx.method())
        && !HandlerType.HEAD.equals(ctx.method())) {
      throw forbidden(origin);
    }
  }

  /** {@code OPTIONS} on an API route: the CORS preflight (headers only for an allowed origin). */
  void preflight(Context ctx) {
    if (judge(ctx.header("Origin"), ctx.header("Host")) == Verdict.ALLOWED) {
      ctx.header("Access-Control-Allow-Methods", ALLOW_METHODS);
      ctx.header("Access-Control-Allow-Headers", ALLOW_HEADERS);
      ctx.header("Access-Control-Max-Age", MAX_AGE);
    }
    ctx.status(204);
  }

  /**
   * Before a WebSocket upgrade: only to a name this server answers to, and from no origin, the same
   * origin or an allowed one.
   *
   * @throws ApiException 421 {@code misdirected_host}, 403 {@code forbidden_origin}
   */
  void checkUpgrade(Context ctx) {
    hosts.check(ctx);
    String origin = ctx.header("Origin");
    if (judge(origin, ctx.header("Host")) == Verdict.FORBIDDEN) {
      throw forbidden(origin);
    }
  }

  private static ApiException forbidden(String origin) {
    String shown = origin.length() > 80 ? origin.substring(0, 80) + "…" : origin;
    return new ApiException(
        403,
        "forbidden_origin",
        "pages from '"
            + shown
            + "' may not use this server; start it with --allowed-origins to allow them");
  }

  /**
   * Whether {@code origin} names the host and port the request was sent to, and that is a name this
   * server answers to: a page whose name was re-bound to this machine has Origin equal to Host too.
   */
  private boolean sameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    URI page = parse(origin);
    URI server = page == null ? null : parse(page.getScheme() + "://" + host);
    return server != null
        && server.getHost().equalsIgnoreCase(page.getHost())
        && port(server) == port(page)
        && hosts.allows(host, port(server));
  }

  /** {@code scheme://host[:port]} in lower case without a default port; {@code null} if not one. */
  private static String normalize(String origin) {
    URI uri = parse(origin);
    if (uri == null) {
      return null;
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    int port = port(uri);
    boolean defaultPort = port == (scheme.equals("https") ? 443 : 80);
    return scheme
        + "://"
        + uri.getHost().toLowerCase(Locale.ROOT)
        + (defaultPort ? "" : ":" + port);
  }

  /** {@code text} as an http(s) URI of scheme, host and optional port only; {@code null} if not. */
  private static URI parse(String text) {
    try {
      URI uri = new URI(text);
      String scheme = uri.getScheme();
      boolean web = "http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme);
      boolean bare =
          uri.getRawUserInfo() == null
              && (uri.getRawPath() == null || uri.getRawPath().isEmpty())
              && uri.getRawQuery() == null
              && uri.getRawFragment() == null;
      return web && bare && uri.getHost() != null ? uri : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static int port(URI uri) {
    if (uri.getPort() >= 0) {
      return uri.getPort();
    }
    return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }
}
