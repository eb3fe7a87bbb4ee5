package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.javalin.http.Context;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsMessageContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServletFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.core.WebSocketExtensionRegistry;
import org.eclipse.jetty.websocket.core.server.WebSocketServerComponents;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live WebSocket endpoint {@code /contexts/{id}/live} and the policies that bound what one
 * socket costs: the kernel send buffer cap, the stall timeout, the idle timeout, compression, the
 * token's expiry, and the close reasons counted in {@code chord.live.closed}.
 *
 * <p>Why a send buffer cap: a client that stops reading leaves the kernel holding what was written
 * to it, up to the send buffer, which Linux auto-tunes up to {@code net.ipv4.tcp_wmem}'s maximum (4
 * MiB by default) per socket; hundreds of such sockets push the machine into TCP memory pressure,
 * which slows every socket on it. Capped, the kernel refuses more after a small buffer, the
 * socket's one message in flight stays pending, and {@link LiveConnection}'s bounded queue and
 * merging take over. The stall timeout then ends a socket whose message in flight has not been
 * written for that long: it is closed with {@link LiveClose#STALLED} (4408 {@code stalled}), and if
 * the close frame cannot reach the client within {@link #CLOSE_GRACE}, the TCP connection is reset,
 * which frees what the kernel still held for it.
 */
final class LiveEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveEndpoint.class);

  /** How long a stalled socket has to take its close frame before its connection is reset. */
  static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  /** The furthest token expiry for which a live socket's close is scheduled. */
  private static final Duration LONGEST_EXPIRY_WAIT = Duration.ofDays(365);

  private static final String CONNECTION = "chord.connection";
  private static final String PRESENCE = "chord.presence";
  private static final String ADDRESS = "chord.address";
  private static final String EXPIRY = "chord.expiry";
  private static final String CLOSING = "chord.closing";
  private static final String CHANNEL = "chord.channel";

  /**
   * The policies of the live endpoint.
   *
   * @param sendBufferBytes the most the kernel may hold for one live socket (its {@code SO_SNDBUF}
   *     is set to half: Linux doubles it)
   * @param stallTimeout how long a message may stay unwritten before its socket is closed
   * @param idleTimeout how long a socket may see no traffic either way before Jetty closes it
   * @param compression whether {@code permessage-deflate} is negotiated (then without the server's
   *     context takeover, see {@link DeflateOffers})
   * @param maxMessageBytes the largest message a client may send
   */
  record Policy(
      int sendBufferBytes,
      Duration stallTimeout,
      Duration idleTimeout,
      boolean compression,
      int maxMessageBytes) {}

  private final LiveHub hub;
  private final Presence presence;
  private final Access access;
  private final Json json;
  private final Clock clock;
  private final LiveMeters meters;
  private final Policy policy;
  private final ConnectionLimiter limiter;
  private final Set<WsContext> sessions = ConcurrentHashMap.newKeySet();
  private final ScheduledThreadPoolExecutor timers =
      new ScheduledThreadPoolExecutor(
          1,
          r -> {
            Thread t = new Thread(r, "chord-live-timers");
            t.setDaemon(true);
            return t;
          });
  private final ScheduledFuture<?> stallCheck;
  private final AtomicLong stallsStarted = new AtomicLong();
  private volatile @Nullable ServletContextHandler servletContext;

  LiveEndpoint(
      LiveHub hub,
      Presence presence,
      Access access,
      Json json,
      Clock clock,
      LiveMeters meters,
      Policy policy,
      int maxConnectionsPerIp) {
    this.hub = hub;
    this.presence = presence;
    this.access = access;
    this.json = json;
    this.clock = clock;
    this.meters = meters;
    this.policy = policy;
    this.limiter = new ConnectionLimiter(maxConnectionsPerIp);
    timers.setRemoveOnCancelPolicy(true);
    long period = Math.max(10, Math.min(1000, policy.stallTimeout().toMillis() / 4));
    this.stallCheck =
        timers.scheduleWithFixedDelay(this::closeStalled, period, period, TimeUnit.MILLISECONDS);
  }

  /** Remembers the servlet context, whose WebSocket components {@link #configure} adjusts. */
  void servletContext(ServletContextHandler context) {
    this.servletContext = context;
  }

  /** Applies the size limits, the idle timeout and the compression policy to Jetty's factory. */
  void configure(JettyWebSocketServletFactory factory) {
    factory.setMaxTextMessageSize(policy.maxMessageBytes());
    factory.setMaxBinaryMessageSize(policy.maxMessageBytes());
    factory.setIdleTimeout(policy.idleTimeout());
    ServletContextHandler context = servletContext;
    if (context == null) {
      throw new IllegalStateException("the servlet context is configured before the factory");
    }
    if (!policy.compression()) {
      WebSocketExtensionRegistry extensions =
          WebSocketServerComponents.getWebSocketComponents(context).getExtensionRegistry();
      extensions.unregister(DeflateOffers.EXTENSION);
    }
  }

  /** Installs what the compression policy needs in front of Jetty's own handlers. */
  void installIn(Server server) {
    if (policy.compression()) {
      server.insertHandler(new DeflateOffers());
    }
  }

  /** Whether a client at {@code address} may open one more live connection. */
  boolean hasRoom(String address) {
    return limiter.hasRoom(address);
  }

  /**
   * Keeps an upgrade's socket as an attribute that the upgrade hands on to its WebSocket, for a
   * stall's {@link #reset}. Called before the upgrade: Javalin copies the attributes then.
   */
  void keepSocket(Context upgrade) {
    socketOf(upgrade).ifPresent(channel -> upgrade.attribute(CHANNEL, channel));
  }

  /**
   * Caps the kernel send buffer of an upgrade's socket: called once the upgrade is accepted, so
   * every live socket, and no plain HTTP one, has it.
   */
  void capSendBuffer(Context upgrade) {
    socketOf(upgrade)
        .ifPresent(
            channel -> {
              try {
                // Linux reserves twice what is asked, for its bookkeeping (socket(7)), and the
                // data queued reaches most of that: asking for half keeps the queue within the cap.
                channel.setOption(StandardSocketOptions.SO_SNDBUF, policy.sendBufferBytes() / 2);
              } catch (IOException | UnsupportedOperationException e) {
                log.debug("cannot cap the send buffer of a live socket", e);
              }
            });
  }

  private static Optional<NetworkChannel> socketOf(Context upgrade) {
    ServletContextRequest request = ServletContextRequest.getServletContextRequest(upgrade.req());
    Object transport =
        request == null
            ? null
            : request.getConnectionMetaData().getConnection().getEndPoint().getTransport();
    return transport instanceof NetworkChannel channel ? Optional.of(channel) : Optional.empty();
  }

  /** The handlers of the live route. */
  void handlers(WsConfig ws) {
    ws.onConnect(this::connect);
    ws.onClose(this::disconnect);
    // Jetty enforces the size limit; presence is the only message a client sends
    ws.onMessage(this::message);
  }

  private void connect(WsConnectContext ctx) {
    AtomicReference<LiveClose> closing = new AtomicReference<>();
    ctx.attribute(CLOSING, closing);
    String address = address(ctx.session.getRemoteSocketAddress());
    if (!limiter.acquire(address)) {
      closeAs(ctx, LiveClose.REJECTED, "too many live connections from " + address);
      return;
    }
    ctx.attribute(ADDRESS, address);
    sessions.add(ctx);
    Session session = ctx.session;
    String contextId = ctx.pathParam("id");
    session.addIdleTimeoutListener(
        timeout -> {
          if (closing.compareAndSet(null, LiveClose.IDLE)) {
            log.info(
                "closing the live connection from {} to '{}': idle for {}",
                address,
                contextId,
                Main.DurationConverter.format(policy.idleTimeout()));
          }
          return true;
        });
    LiveConnection.Sink sink =
        new LiveConnection.Sink() {
          @Override
          public void send(String text, Runnable done, Consumer<Throwable> failed) {
            session.sendText(text, Callback.from(done, failed));
          }

          @Override
          public void close(int code, String reason) {
            // Once a close has started, a send fails, and its 1011 would abort the connection
            // before the close frame already queued (a stall's 4408) is written: the first stands.
            if (closing.compareAndSet(null, LiveClose.ERROR)) {
              session.close(code, reason, Callback.NOOP);
            }
          }
        };
    try {
      LiveConnection connection =
          hub.open(
              contextId,
              WireFormat.parse(ctx.queryParam("format")),
              ClientState.parse(ctx.queryParam("version"), ctx.queryParam("epoch")),
              sink);
      ctx.attribute(CONNECTION, connection);
      ctx.attribute(PRESENCE, presence.open(contextId));
      ctx.enableAutomaticPings(15, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      log.warn("live connection to '{}' failed", contextId, e);
      closeAs(ctx, LiveClose.ERROR, "cannot read the context; reconnect later");
      return;
    }
    closeWhenTokenExpires(ctx);
  }

  /**
   * Schedules the close (4401 {@code token_expired}) of a socket authorized by a token for when the
   * token expires: a token is checked at the upgrade only, and a socket outliving it would keep
   * reading what the token no longer grants. Cancelled when the socket closes first. Not scheduled
   * for an expiry more than {@link #LONGEST_EXPIRY_WAIT} away: a socket does not live that long.
   */
  private void closeWhenTokenExpires(WsConnectContext ctx) {
    Optional<Instant> expiry;
    try {
      expiry =
          access.require(
              token(ctx.header("Authorization"), ctx.queryParam("token")),
              ctx.pathParam("id"),
              Right.READ);
    } catch (ApiException expiredSinceTheUpgrade) {
      closeAs(ctx, LiveClose.TOKEN_EXPIRED, LiveClose.TOKEN_EXPIRED.reason());
      return;
    }
    Duration left = expiry.map(at -> Duration.between(clock.instant(), at)).orElse(null);
    // A token may expire at any instant, Instant.MAX included: its delay overflows a long of ms.
    if (left != null && left.compareTo(LONGEST_EXPIRY_WAIT) <= 0) {
      long delay = Math.max(0, left.toMillis());
      ctx.attribute(
          EXPIRY,
          timers.schedule(
              () -> closeAs(ctx, LiveClose.TOKEN_EXPIRED, LiveClose.TOKEN_EXPIRED.reason()),
              delay,
              TimeUnit.MILLISECONDS));
    }
  }

  /** The token of a live request: from {@code Authorization: Bearer}, else {@code ?token=}. */
  static String token(String authorization, String queryToken) {
    String bearer = Access.bearer(authorization);
    return bearer != null ? bearer : queryToken;
  }

  private void disconnect(WsCloseContext ctx) {
    sessions.remove(ctx);
    AtomicReference<LiveClose> closing = ctx.attribute(CLOSING);
    LiveClose why = LiveClose.byClient(ctx.status());
    if (closing != null && !closing.compareAndSet(null, why)) {
      why = closing.get();
    }
    meters.closed(why);
    ScheduledFuture<?> expiry = ctx.attribute(EXPIRY);
    if (expiry != null) {
      expiry.cancel(false);
    }
    LiveConnection connection = ctx.attribute(CONNECTION);
    if (connection != null) {
      hub.close(connection);
    }
    Presence.Entry entry = ctx.attribute(PRESENCE);
    if (entry != null) {
      entry.close();
    }
    String address = ctx.attribute(ADDRESS);
    if (address != null) {
      limiter.release(address);
    }
  }

  /**
   * A client's message: {@code {"type": "presence", "set": value}} declares its presence (see
   * {@link Presence}); other types are ignored (from a newer client); anything malformed closes the
   * socket with 1008.
   */
  private void message(WsMessageContext ctx) {
    Presence.Entry entry = ctx.attribute(PRESENCE);
    try {
      Map<String, Object> message = json.readObject(ctx.message().getBytes(UTF_8));
      if (!"presence".equals(message.get("type"))) {
        return;
      }
      if (!message.containsKey("set")) {
        throw ApiException.badRequest("a presence message needs \"set\"");
      }
      Object value = Presence.checkValue(message.get("set"));
      if (entry != null) {
        entry.set(value);
      }
    } catch (ApiException e) {
      closeAs(ctx, LiveClose.POLICY, e.getMessage());
    }
  }

  /**
   * Closes every socket whose message in flight has waited longer than the stall timeout. Runs on
   * the timer thread; it must not throw, or the schedule would end.
   */
  private void closeStalled() {
    try {
      long now = System.nanoTime();
      long limit = policy.stallTimeout().toNanos();
      for (WsContext ctx : sessions) {
        LiveConnection connection = ctx.attribute(CONNECTION);
        if (connection != null
            && connection.pendingNanos(now) >= limit
            && closeAs(ctx, LiveClose.STALLED, LiveClose.STALLED.reason())) {
          stallsStarted.incrementAndGet();
          log.info(
              "closing the live connection from {} to '{}': nothing sent to it was read for {}",
              ctx.<String>attribute(ADDRESS),
              connection.contextId(),
              Main.DurationConverter.format(policy.stallTimeout()));
          var unused =
              timers.schedule(() -> reset(ctx), CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    } catch (RuntimeException e) {
      log.warn("checking live connections for stalls failed", e);
    }
  }

  /**
   * Drops a stalled socket's connection with a reset ({@code SO_LINGER} 0), unless it has closed
   * already. A plain close would send a FIN queued behind the bytes the client never read, and the
   * kernel would keep the socket in {@code FIN-WAIT-1}, holding up to the send buffer, for as long
   * as the client keeps its window shut; a reset frees them at once. Runs on the timer thread.
   */
  private static void reset(WsContext ctx) {
    NetworkChannel channel = ctx.attribute(CHANNEL);
    if (channel != null) {
      if (!channel.isOpen()) {
        return;
      }
      try {
        channel.setOption(StandardSocketOptions.SO_LINGER, 0);
      } catch (IOException | UnsupportedOperationException e) {
        // closed meanwhile, or not a TCP socket: the plain close below is all there is
        log.debug("cannot reset a stalled live socket", e);
      }
    }
    ctx.session.disconnect();
  }

  /**
   * Closes {@code ctx} with {@code why}'s code and {@code reason}, unless a close was started
   * already (then the first reason stands).
   *
   * @return whether this call started the close
   */
  private static boolean closeAs(WsContext ctx, LiveClose why, String reason) {
    AtomicReference<LiveClose> closing = ctx.attribute(CLOSING);
    if (closing != null && !closing.compareAndSet(null, why)) {
      return false;
    }
    ctx.closeSession(why.code(), reason);
    return true;
  }

  /** Closes every live socket as a restart would (1012): clients reconnect and catch up. */
  void disconnectAll() {
    for (WsContext ctx : sessions) {
      closeAs(ctx, LiveClose.RESTARTING, LiveClose.RESTARTING.reason());
    }
  }

  /** Closes every live socket with 1001 and waits, until {@code deadline}, for them to close. */
  void goAway(long deadline) {
    for (WsContext ctx : sessions) {
      closeAs(ctx, LiveClose.GOING_AWAY, LiveClose.GOING_AWAY.reason());
    }
    try {
      while (!sessions.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stall closes started (counted in the metric once the socket has closed); for tests. */
  long stallsStarted() {
    return stallsStarted.get();
  }

  /** Token-expiry closes (and stalled sockets' drops) scheduled; for tests. */
  int scheduledExpiries() {
    return (int) timers.getQueue().stream().filter(task -> task != stallCheck).count();
  }

  @Override
  public void close() {
    timers.shutdownNow();
  }

  private static String address(SocketAddress socket) {
    return socket instanceof InetSocketAddress inet && inet.getAddress() != null
        ? inet.getAddress().getHostAddress()
        : String.valueOf(socket);
  }
}
