package dev.chord.server;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names this server answers to, checked against the {@code Host} header of every request, the
 * WebSocket upgrade included.
 *
 * <p>This is the defence against DNS rebinding: a page from {@code http://attacker.example:7070}
 * re-binds its own name to {@code 127.0.0.1}, and the visitor's browser then sends that page's
 * requests to this server, with the attacker's name in both {@code Origin} and {@code Host} (so
 * they look same-origin), or no {@code Origin} at all on its same-origin reads. Only the {@code
 * Host} tells them apart: a name this server was not told it has. Such a request gets 421 {@code
 * misdirected_host} and nothing is done.
 *
 * <p>Always allowed: {@code localhost}, {@code 127.0.0.1}, {@code [::1]}, the bind address when it
 * is a specific address or name, and the hosts of the allowed origins; plus the names given ({@code
 * --allowed-hosts}), {@code *} for any. Bound to a wildcard address ({@code 0.0.0.0}, {@code ::})
 * with none given, any {@code Host} is accepted, since the names the machine is reached by are not
 * known: {@link #unprotected()}.
 */
final class Hosts {
  /** The loopback names: a page can only be served under one of these from this machine. */
  static final List<String> LOOPBACK = List.of("localhost", "127.0.0.1", "[::1]");

  /** {@code name[:port]}, {@code [v6][:port]}, or a bare IPv6 address (no port). */
  private static final Pattern HOST =
      Pattern.compile(
          "(?<name>[a-z0-9_-]+(?:\\.[a-z0-9_-]+)*|\\[[0-9a-f:.]*:[0-9a-f:.]*\\])"
              + "(?::(?<port>\\d{1,5}))?"
              + "|(?<bare>[0-9a-f:.]*:[0-9a-f:.]*:[0-9a-f:.]*)");

  /** One allowed name, in lower case (IPv6 in brackets); {@code port} -1 for every port. */
  record Entry(String name, int port) {}

  private final boolean any;
  private final boolean unprotected;
  private final Set<Entry> entries;

  private Hosts(boolean any, boolean unprotected, Set<Entry> entries) {
    this.any = any;
    this.unprotected = unprotected;
    this.entries = entries;
  }

  /**
   * The names a server bound to {@code bindHost} answers to.
   *
   * @param allowed the names given ({@code host}, {@code host:port}, {@code [v6]:port} or {@code
   *     *}), {@code null} if none were
   * @param originHosts the hosts of the allowed origins
   * @throws IllegalArgumentException for an entry of {@code allowed} that is none of those forms
   */
  static Hosts of(String bindHost, Collection<String> allowed, Collection<String> originHosts) {
    Set<Entry> entries = new LinkedHashSet<>();
    for (String name : LOOPBACK) {
      entries.add(new Entry(name, -1));
    }
    for (String host : originHosts) {
      entries.add(new Entry(host.toLowerCase(Locale.ROOT), -1));
    }
    boolean wildcard = isWildcard(bindHost);
    Entry bound = parse(bindHost);
    if (!wildcard && bound != null) {
      entries.add(new Entry(bound.name(), -1));
    }
    boolean any = allowed == null ? wildcard : allowed.stream().anyMatch(h -> h.trim().equals("*"));
    if (allowed != null) {
      entries.addAll(entries(allowed));
    }
    return new Hosts(any, any && allowed == null, Set.copyOf(entries));
  }

  /**
   * The entries of an allow-list, {@code *} left out.
   *
   * @throws IllegalArgumentException for an entry that is not {@code *}, {@code host}, {@code
   *     host:port} or {@code [v6]:port}
   */
  static List<Entry> entries(Collection<String> allowed) {
    List<Entry> entries = new ArrayList<>();
    for (String raw : allowed) {
      String host = raw.trim();
      if (host.equals("*")) {
        continue;
      }
      Entry entry = parse(host);
      if (entry == null) {
        throw new IllegalArgumentException(
            "an allowed host is *, a name or an address with an optional port, such as"
                + " chord.example.com, chord.example.com:8443, 192.168.1.5 or [fd00::5]:7070; was '"
                + raw
                + "'");
      }
      entries.add(entry);
    }
    return entries;
  }

  /**
   * Whether every {@code Host} is accepted only because the server is bound to a wildcard address
   * and no names were given: then DNS-rebinding protection is off, and the server says so at start.
   */
  boolean unprotected() {
    return unprotected;
  }

  /**
   * Whether a request with this {@code Host} header ({@code null}: none) is for this server.
   *
   * @param defaultPort the port a {@code Host} without one names: 80, or 443 over TLS
   */
  boolean allows(String host, int defaultPort) {
    if (any) {
      return true;
    }
    Entry named = host == null ? null : parse(host);
    if (named == null) {
      return false;
    }
    int port = named.port() < 0 ? defaultPort : named.port();
    return entries.contains(new Entry(named.name(), -1))
        || entries.contains(new Entry(named.name(), port));
  }

  /**
   * Before every request, WebSocket upgrades included: refuses one whose {@code Host} this server
   * does not answer to.
   *
   * @throws ApiException 421 {@code misdirected_host}
   */
  void check(Context ctx) {
    String host = ctx.header("Host");
    if (!allows(host, "https".equalsIgnoreCase(ctx.scheme()) ? 443 : 80)) {
      String shown =
          host == null ? "(none)" : host.length() > 80 ? host.substring(0, 80) + "…" : host;
      throw new ApiException(
          421,
          "misdirected_host",
          "this server does not answer to the host name '"
              + shown
              + "' (a page whose name was re-bound to this machine, or a name not configured);"
              + " start it with --allowed-hosts naming it");
    }
  }

  /** {@code host} as an entry (name in lower case, IPv6 in brackets); {@code null} if not one. */
  private static Entry parse(String host) {
    Matcher m = HOST.matcher(host.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      return null;
    }
    if (m.group("bare") != null) {
      return new Entry("[" + m.group("bare") + "]", -1);
    }
    String port = m.group("port");
    int number = port == null ? -1 : Integer.parseInt(port);
    return number == 0 || number > 65535 ? null : new Entry(m.group("name"), number);
  }

  /** Whether {@code bindHost} is the wildcard address of IPv4 or IPv6: every interface. */
  private static boolean isWildcard(String bindHost) {
    String address = bindHost.replace("[", "").replace("]", "");
    if (!address.contains(":") && !address.matches("[0-9.]+")) {
      return false; // a name: resolving it is not this check's business
    }
    try {
      return InetAddress.getByName(address).isAnyLocalAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
