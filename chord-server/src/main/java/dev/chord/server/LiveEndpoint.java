package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.chord.server.internal.PerMessageDeflate;
import io.javalin.http.Context;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsErrorContext;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServletFactory;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.CloseException;
import org.eclipse.jetty.websocket.api.exceptions.WebSocketTimeoutException;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
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

  private static final String CHANNEL = "chord.channel";

  /**
   * The largest message sent whole, in chars; a larger one goes in parts of this size, each a sign
   * of progress to the stall check (at most 48 KiB of UTF-8, well under the send buffer cap's 128
   * KiB default).
   */
  static final int PART_CHARS = 16 * 1024;

  /**
   * The policies of the live endpoint.
   *
   * @param sendBufferBytes the most the kernel may hold for one live socket (its {@code SO_SNDBUF}
   *     is set to half: Linux doubles it)
   * @param stallTimeout how long a message may stay unwritten before its socket is closed
   * @param idleTimeout how long a socket may see no traffic either way before Jetty closes it
   * @param compression whether {@code permessage-deflate} is negotiated (then without context
   *     takeover either way, see {@link PerMessageDeflate})
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
  private final Map<Session, LiveSocket> sockets = new ConcurrentHashMap<>();
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
  private volatile @Nullable WebSocketComponents components;

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
    WebSocketComponents components = WebSocketServerComponents.getWebSocketComponents(context);
    this.components = components;
    WebSocketExtensionRegistry extensions = components.getExtensionRegistry();
    if (policy.compression()) {
      extensions.register(PerMessageDeflate.NAME, PerMessageDeflate.class);
    } else {
      extensions.unregister(PerMessageDeflate.NAME);
    }
  }

  /** Deflaters taken from Jetty's pool and not given back; for tests. */
  int deflatersInUse() {
    WebSocketComponents held = components;
    return held == null ? 0 : held.getDeflaterPool().getPool().getInUseCount();
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
    ws.onError(this::failed);
    ws.onClose(this::disconnect);
    // Jetty enforces the size limit; presence is the only message a client sends
    ws.onMessage(this::message);
  }

  /**
   * What the endpoint knows of one live socket, shared by Jetty's threads, the fan-out and the
   * timer thread: final fields set before the socket is published in {@link #sockets}, the rest
   * volatile. (Javalin's per-socket attributes are a plain map, unsafe to read from the timers.)
   */
  private static final class LiveSocket {
    final WsContext ctx;
    final String address;
    final String contextId;
    final @Nullable NetworkChannel channel;

    /** The first close started, by the server or observed from the client; it is what counts. */
    final AtomicReference<LiveClose> closing = new AtomicReference<>();

    /**
     * Whether the connect took a slot of the per-address limit, for the disconnect to give back.
     */
    final boolean holdsSlot;

    /**
     * Set first thing when the socket has ended. Jetty may end it while {@link #connect} is still
     * running (a client that resets right after the upgrade makes the first send fail): whatever
     * the connect takes after that, it gives back itself, checking this after taking it. Each
     * resource is taken back with {@code getAndSet(null)}, so both sides may try.
     */
    volatile boolean ended;

    final AtomicReference<LiveConnection> connection = new AtomicReference<>();
    final AtomicReference<Presence.Entry> presence = new AtomicReference<>();
    volatile @Nullable ScheduledFuture<?> expiry;
    volatile @Nullable ScheduledFuture<?> drop;

    /** When a part of a message sent in parts was last written ({@link System#nanoTime()}). */
    volatile long progressedAt = System.nanoTime();

    LiveSocket(WsContext ctx, String address, @Nullable NetworkChannel channel, boolean holdsSlot) {
      this.ctx = ctx;
      this.address = address;
      this.contextId = ctx.pathParam("id");
      this.channel = channel;
      this.holdsSlot = holdsSlot;
    }
  }

  private void connect(WsConnectContext ctx) {
    String address = address(ctx.session.getRemoteSocketAddress());
    LiveSocket socket =
        new LiveSocket(ctx, address, ctx.attribute(CHANNEL), limiter.acquire(address));
    sockets.put(ctx.session, socket);
    if (!socket.holdsSlot) {
      closeAs(socket, LiveClose.REJECTED, "too many live connections from " + socket.address);
      return;
    }
    Session session = ctx.session;
    session.addIdleTimeoutListener(
        timeout -> {
          if (socket.closing.compareAndSet(null, LiveClose.IDLE)) {
            log.info(
                "closing the live connection from {} to '{}': idle for {}",
                socket.address,
                socket.contextId,
                Main.DurationConverter.format(policy.idleTimeout()));
            scheduleDrop(socket); // Jetty closes it, and its close frame may never be read
          }
          return true;
        });
    LiveConnection.Sink sink =
        new LiveConnection.Sink() {
          @Override
          public void send(String text, Runnable done, Consumer<Throwable> failed) {
            Consumer<Throwable> noted =
                error -> {
                  if (lostConnection(error)) {
                    // the client is gone (a reset mid-send): dropped, not our error
                    socket.closing.compareAndSet(null, LiveClose.DROPPED);
                  }
                  failed.accept(error);
                };
            if (text.length() <= PART_CHARS) {
              session.sendText(text, Callback.from(done, noted));
            } else {
              sendParts(socket, text, 0, done, noted);
            }
          }

          @Override
          public void close(int code, String reason) {
            // Once a close has started, a send fails, and its 1011 would abort the connection
            // before the close frame already queued (a stall's 4408) is written: the first stands.
            closeAs(socket, LiveClose.ERROR, reason);
          }
        };
    try {
      socket.connection.set(
          hub.open(
              socket.contextId,
              WireFormat.parse(ctx.queryParam("format")),
              ClientState.parse(ctx.queryParam("version"), ctx.queryParam("epoch")),
              sink));
      socket.presence.set(presence.open(socket.contextId));
      ctx.enableAutomaticPings(15, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      log.warn("live connection to '{}' failed", socket.contextId, e);
      closeAs(socket, LiveClose.ERROR, "cannot read the context; reconnect later");
      return;
    } finally {
      if (socket.ended) {
        release(socket); // it ended while connecting, and its disconnect may have found nothing
        ctx.disableAutomaticPings();
      }
    }
    closeWhenTokenExpires(socket);
  }

  /** Gives back what a socket holds in the hub and the presence; each only once, by any caller. */
  private void release(LiveSocket socket) {
    LiveConnection connection = socket.connection.getAndSet(null);
    if (connection != null) {
      hub.close(connection);
    }
    Presence.Entry entry = socket.presence.getAndSet(null);
    if (entry != null) {
      entry.close();
    }
  }

  /**
   * Schedules the close (4401 {@code token_expired}) of a socket authorized by a token for when the
   * token expires: a token is checked at the upgrade only, and a socket outliving it would keep
   * reading what the token no longer grants. Cancelled when the socket closes first. Not scheduled
   * for an expiry more than {@link #LONGEST_EXPIRY_WAIT} away: a socket does not live that long.
   */
  private void closeWhenTokenExpires(LiveSocket socket) {
    WsContext ctx = socket.ctx;
    Optional<Instant> expiry;
    try {
      expiry =
          access.require(
              token(ctx.header("Authorization"), ctx.queryParam("token")),
              socket.contextId,
              Right.READ);
    } catch (ApiException expiredSinceTheUpgrade) {
      closeAs(socket, LiveClose.TOKEN_EXPIRED, LiveClose.TOKEN_EXPIRED.reason());
      return;
    }
    Duration left = expiry.map(at -> Duration.between(clock.instant(), at)).orElse(null);
    // A token may expire at any instant, Instant.MAX included: its delay overflows a long of ms.
    if (left != null && left.compareTo(LONGEST_EXPIRY_WAIT) <= 0) {
      socket.expiry =
          schedule(
              () -> closeAs(socket, LiveClose.TOKEN_EXPIRED, LiveClose.TOKEN_EXPIRED.reason()),
              Duration.ofMillis(Math.max(0, left.toMillis())));
      if (socket.ended) {
        cancel(socket.expiry); // ended meanwhile: disconnect may have run before the assignment
      }
    }
  }

  /** The token of a live request: from {@code Authorization: Bearer}, else {@code ?token=}. */
  static String token(String authorization, String queryToken) {
    String bearer = Access.bearer(authorization);
    return bearer != null ? bearer : queryToken;
  }

  /**
   * Jetty reports an error as it ends a socket: a protocol error, invalid data or a message too
   * large (a {@link CloseException} other than 1011, which Jetty answered with its close code) is
   * the client's breach, counted as {@link LiveClose#POLICY}; a timeout is {@link LiveClose#IDLE};
   * a socket that failed on the network is {@link LiveClose#DROPPED}; anything else (1011) is
   * {@link LiveClose#ERROR}. The first reason stands, as everywhere. (Jetty calls this only once
   * the connection is torn down; a close Jetty started that cannot finish gets its reset from
   * {@link #closeStalled}.)
   */
  private void failed(WsErrorContext ctx) {
    LiveSocket socket = sockets.get(ctx.session);
    Throwable error = ctx.error();
    if (socket == null) {
      return;
    }
    if (error instanceof CloseException refused && refused.getStatusCode() != 1011) {
      socket.closing.compareAndSet(null, LiveClose.POLICY);
    } else if (error instanceof WebSocketTimeoutException) {
      socket.closing.compareAndSet(null, LiveClose.IDLE);
    } else if (lostConnection(error)) {
      socket.closing.compareAndSet(null, LiveClose.DROPPED);
    } else {
      socket.closing.compareAndSet(null, LiveClose.ERROR); // 1011: a failure on the server's side
    }
  }

  /** Whether {@code error} is (or was caused by) the network connection failing or ending. */
  private static boolean lostConnection(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  private void disconnect(WsCloseContext ctx) {
    LiveSocket socket = sockets.remove(ctx.session);
    LiveClose observed = LiveClose.byClient(ctx.status());
    if (socket == null) {
      meters.closed(observed); // cannot happen: every connected socket is in the map
      return;
    }
    socket.ended = true;
    LiveClose why = socket.closing.compareAndSet(null, observed) ? observed : socket.closing.get();
    meters.closed(why);
    cancel(socket.expiry);
    cancel(socket.drop);
    release(socket);
    if (socket.holdsSlot) {
      limiter.release(socket.address);
    }
  }

  /**
   * A client's message: {@code {"type": "presence", "set": value}} declares its presence (see
   * {@link Presence}); other types are ignored (from a newer client); anything malformed closes the
   * socket with 1008.
   */
  private void message(WsMessageContext ctx) {
    LiveSocket socket = sockets.get(ctx.session);
    if (socket == null) {
      return; // closing
    }
    try {
      Map<String, Object> message = json.readObject(ctx.message().getBytes(UTF_8));
      if (!"presence".equals(message.get("type"))) {
        return;
      }
      if (!message.containsKey("set")) {
        throw ApiException.badRequest("a presence message needs \"set\"");
      }
      Object value = Presence.checkValue(message.get("set"));
      Presence.Entry entry = socket.presence.get();
      if (entry != null) {
        entry.set(value);
      }
    } catch (ApiException e) {
      closeAs(socket, LiveClose.POLICY, e.getMessage());
    } catch (RuntimeException e) {
      // the presence write failed (the backend): what Javalin would do (1011), counted and reset
      log.warn("a presence message to '{}' failed", socket.contextId, e);
      closeAs(socket, LiveClose.ERROR, "cannot store your presence; reconnect later");
    }
  }

  /**
   * Sends {@code text} from {@code from} on as one message in parts of at most {@link #PART_CHARS}
   * chars, each once the previous one is written (a surrogate pair is never split), and counts each
   * written part as progress for the stall check: a client that reads a large message slowly but
   * steadily is not stalled, however long the whole message takes.
   */
  private static void sendParts(
      LiveSocket socket, String text, int from, Runnable done, Consumer<Throwable> failed) {
    int to = Math.min(text.length(), from + PART_CHARS);
    if (to < text.length() && Character.isHighSurrogate(text.charAt(to - 1))) {
      to--;
    }
    boolean last = to == text.length();
    int next = to;
    socket.ctx.session.sendPartialText(
        text.substring(from, to),
        last,
        Callback.from(
            () -> {
              socket.progressedAt = System.nanoTime();
              if (last) {
                done.run();
              } else {
                sendParts(socket, text, next, done, failed);
              }
            },
            failed));
  }

  /**
   * Closes every socket whose message in flight has waited longer than the stall timeout. Runs on
   * the timer thread; one socket's failure is logged and the others are still checked, and nothing
   * is thrown, or the schedule would end.
   */
  private void closeStalled() {
    long now = System.nanoTime();
    long limit = policy.stallTimeout().toNanos();
    for (LiveSocket socket : sockets.values()) {
      try {
        if (socket.drop == null && !socket.ctx.session.isOpen()) {
          // a close Jetty started (a protocol error) or the client's, not yet done: same grace
          scheduleDrop(socket);
        }
        LiveConnection connection = socket.connection.get();
        if (connection != null
            && connection.pendingNanos(now) >= limit
            && now - socket.progressedAt >= limit
            && closeAs(socket, LiveClose.STALLED, LiveClose.STALLED.reason())) {
          stallsStarted.incrementAndGet();
          log.info(
              "closing the live connection from {} to '{}': nothing sent to it was read for {}",
              socket.address,
              socket.contextId,
              Main.DurationConverter.format(policy.stallTimeout()));
        }
      } catch (RuntimeException e) {
        log.warn("checking the live connection to '{}' for a stall failed", socket.contextId, e);
      }
    }
  }

  /**
   * Drops a connection whose close the server started {@link #CLOSE_GRACE} ago and that is still
   * open, with a reset ({@code SO_LINGER} 0). The close frame of a client that does not read waits
   * behind the bytes it never read; a plain close would queue a FIN behind them too, and the kernel
   * would keep the socket in {@code FIN-WAIT-1}, holding up to the send buffer, for as long as the
   * client keeps its window shut. A reset frees them at once. Runs on the timer thread, which hands
   * the disconnect to Jetty's threads: it runs the socket's close handler, which may close the
   * context's last subscription (a backend round trip) and must not hold up the other timers.
   */
  private void reset(LiveSocket socket) {
    NetworkChannel channel = socket.channel;
    if (channel != null) {
      if (!channel.isOpen()) {
        return;
      }
      try {
        channel.setOption(StandardSocketOptions.SO_LINGER, 0);
      } catch (IOException | UnsupportedOperationException e) {
        // closed meanwhile, or not a TCP socket: the plain close below is all there is
        log.debug("cannot reset a live socket", e);
      }
    }
    ServletContextHandler context = servletContext;
    Runnable disconnect = socket.ctx.session::disconnect;
    try {
      if (context != null && context.getServer() != null) {
        context.getServer().getThreadPool().execute(disconnect);
        return;
      }
    } catch (RejectedExecutionException stopping) {
      // the server is stopping: disconnect here
    }
    disconnect.run();
  }

  /**
   * Closes {@code socket} with {@code why}'s code and {@code reason}, unless a close was started
   * already (then the first reason stands), and schedules its {@link #reset} should the close not
   * be done within {@link #CLOSE_GRACE}.
   *
   * @return whether this call started the close
   */
  private boolean closeAs(LiveSocket socket, LiveClose why, String reason) {
    if (!socket.closing.compareAndSet(null, why)) {
      return false;
    }
    socket.ctx.closeSession(why.code(), reason);
    scheduleDrop(socket);
    return true;
  }

  /** Schedules the {@link #reset} of a socket whose close has started, for after the grace. */
  private void scheduleDrop(LiveSocket socket) {
    socket.drop = schedule(() -> reset(socket), CLOSE_GRACE);
    if (socket.ended) {
      cancel(socket.drop); // ended meanwhile: disconnect may have run before the assignment
    }
  }

  /**
   * {@code task} on the timer thread after {@code delay}; {@code null} once the endpoint closed.
   */
  private @Nullable ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    try {
      return timers.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      return null;
    }
  }

  private static void cancel(@Nullable ScheduledFuture<?> task) {
    if (task != null) {
      task.cancel(false);
    }
  }

  /** Closes every live socket as a restart would (1012): clients reconnect and catch up. */
  void disconnectAll() {
    for (LiveSocket socket : sockets.values()) {
      closeAs(socket, LiveClose.RESTARTING, LiveClose.RESTARTING.reason());
    }
  }

  /** Closes every live socket with 1001 and waits, until {@code deadline}, for them to close. */
  void goAway(long deadline) {
    for (LiveSocket socket : sockets.values()) {
      closeAs(socket, LiveClose.GOING_AWAY, LiveClose.GOING_AWAY.reason());
    }
    try {
      while (!sockets.isEmpty() && System.nanoTime() < deadline) {
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

  /** Token-expiry closes and drops of closing sockets scheduled; for tests. */
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
