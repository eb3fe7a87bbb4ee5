package dev.chord.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real WebSocket client (java.net.http) on {@code /contexts/{id}/live}, collecting messages. With
 * {@code autoRequest == false} it reads only when {@link #request} is called: a slow consumer.
 */
final class Live implements WebSocket.Listener, AutoCloseable {
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  final LinkedBlockingQueue<Map<String, Object>> messages = new LinkedBlockingQueue<>();
  final CompletableFuture<Integer> closed = new CompletableFuture<>();
  volatile String closeReason;
  private final boolean autoRequest;
  private final StringBuilder partial = new StringBuilder();
  private WebSocket socket;

  private Live(boolean autoRequest) {
    this.autoRequest = autoRequest;
  }

  static Live connect(String httpBase, String path) {
    return connect(httpBase, path, true, null);
  }

  static Live connect(String httpBase, String path, boolean autoRequest, String bearer) {
    return open(httpBase, path, autoRequest, bearer == null ? Map.of() : bearerHeader(bearer));
  }

  /** Connects sending {@code headers} with the upgrade request (such as {@code Origin}). */
  static Live connect(String httpBase, String path, Map<String, String> headers) {
    return open(httpBase, path, true, headers);
  }

  private static Live open(
      String httpBase, String path, boolean autoRequest, Map<String, String> headers) {
    Live live = new Live(autoRequest);
    WebSocket.Builder b = CLIENT.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    headers.forEach(b::header);
    try {
      live.socket =
          b.buildAsync(URI.create(httpBase.replaceFirst("^http", "ws") + path), live)
              .get(10, TimeUnit.SECONDS);
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    return live;
  }

  /** The status of a refused upgrade, from the exception the client raised. */
  static int refusedStatus(String httpBase, String path, String bearer) {
    return upgradeStatus(httpBase, path, bearer == null ? Map.of() : bearerHeader(bearer));
  }

  /** The status of an upgrade with {@code headers}: 101 if it was accepted. */
  static int upgradeStatus(String httpBase, String path, Map<String, String> headers) {
    try {
      open(httpBase, path, true, headers).close();
      return 101;
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof java.net.http.WebSocketHandshakeException refused) {
        return refused.getResponse().statusCode();
      }
      throw e;
    }
  }

  private static Map<String, String> bearerHeader(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    if (autoRequest) {
      webSocket.request(Long.MAX_VALUE);
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      try {
        Map<String, Object> message = Http.JSON.readValue(partial.toString(), LinkedHashMap.class);
        message.put("_bytes", partial.length());
        messages.add(message);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
      partial.setLength(0);
    }
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closeReason = reason;
    closed.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closed.complete(-1);
  }

  /** Lets the client read {@code n} more messages (frames). */
  void request(long n) {
    socket.request(n);
  }

  void sendText(String text) {
    socket.sendText(text, true).join();
  }

  /** The next message, waiting up to 10 s. */
  Map<String, Object> next() {
    try {
      Map<String, Object> message = messages.poll(10, TimeUnit.SECONDS);
      if (message == null) {
        throw new AssertionError("no message within 10 s");
      }
      return message;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (!socket.isOutputClosed()) {
      var unused = socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }
    socket.abort();
  }
}
