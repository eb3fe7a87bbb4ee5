package dev.chord.server;

import java.util.Locale;

/**
 * Why a live WebSocket connection ended: the {@code reason} tag of {@code chord.live.closed}, and
 * for the closes the server starts, the close code and reason it sends. A client reconnects from
 * its {@code (epoch, version)} after any of them; the codes tell it whether to wait first.
 */
enum LiveClose {
  /**
   * The server stopped waiting for a client that stopped reading: a message stayed unwritten for
   * the stall timeout ({@code --ws-stall-timeout}). Code 4408, after HTTP's 408 Request Timeout.
   */
  STALLED(4408, "stalled"),
  /** Nothing was read from or written to the socket for the idle timeout (Jetty's). */
  IDLE(1001, "idle"),
  /** The token that authorized the socket expired (4401). */
  TOKEN_EXPIRED(4401, "token_expired"),
  /** The server is shutting down (1001 going away). */
  GOING_AWAY(1001, "going away"),
  /** The server dropped every live socket, as a restart would (1012 service restart). */
  RESTARTING(1012, "server restarting"),
  /**
   * The client sent a malformed message (1008 policy violation), or broke the protocol or a limit
   * and Jetty or the compression extension closed it (1002, 1003, 1007, 1009: Jetty's code).
   */
  POLICY(1008, "policy violation"),
  /** More live connections from the client's address than allowed (1008). */
  REJECTED(1008, "too many live connections"),
  /** The server could not read the context or write to the socket (1011). */
  ERROR(1011, "server error"),
  /** The client closed the connection with a close frame. */
  CLIENT(1000, "client"),
  /** The connection ended without a close frame (1006: the network or the client went away). */
  DROPPED(1006, "dropped");

  private final int code;
  private final String reason;

  LiveClose(int code, String reason) {
    this.code = code;
    this.reason = reason;
  }

  /** The close code the server sends, or for a close it did not start, the code it saw. */
  int code() {
    return code;
  }

  /** The close frame's reason text. */
  String reason() {
    return reason;
  }

  /** The metric tag: the lower-case name, such as {@code stalled} or {@code token_expired}. */
  String tag() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * A close nobody on the server started, by the code the client sent: 1006 when there was no close
   * frame, anything else the client's own close. (A close Jetty starts for the client's breach is
   * reported to {@code LiveEndpoint} as an error first, and counted as {@link #POLICY}.)
   */
  static LiveClose byClient(int status) {
    return status == DROPPED.code ? DROPPED : CLIENT;
  }
}
