package dev.chord.server;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Reads every request body before the handlers see it, without holding a thread while the body
 * arrives: a thread runs only when bytes are there (Jetty's {@code demand}), and the handlers get
 * the whole body at once, so a client that sends slowly, or stalls, costs a socket and its bytes,
 * never a request thread. Bounded by size and time:
 *
 * <ul>
 *   <li>a {@code Content-Length} over the limit is refused at once, from the header; a chunked body
 *       as soon as it passes the limit ({@code 413 payload_too_large});
 *   <li>a body not complete within the body timeout is refused ({@code 408 request_timeout}),
 *       however steadily it trickles in;
 *   <li>a body that a shutdown cuts off is refused ({@code 503 unavailable}) if the connection can
 *       still carry the answer; else the connection just ends.
 * </ul>
 *
 * <p>A refused request still goes through the handlers, without a body and with the refusal as the
 * request attribute {@link #REFUSAL}: the route, the {@code Host} check and CORS answer it as any
 * other, and the handler that reads the body throws the refusal. Refused answers close the
 * connection; after a 413, up to three times the limit of the rest of the body is read and dropped
 * first (within the body timeout), so that a client still sending is not reset before it can read
 * the answer.
 */
final class BodyGate extends Handler.Wrapper {
  /** The request attribute holding the {@link ApiException} that refused the body, if any. */
  static final String REFUSAL = "dev.chord.server.bodyRefusal";

  /** The first buffer of a body, in bytes; doubled as needed. */
  private static final int INITIAL_BUFFER = 8 * 1024;

  private final int maxBytes;
  private final Duration timeout;

  BodyGate(int maxBytes, Duration timeout) {
    this.maxBytes = maxBytes;
    this.timeout = timeout;
  }

  /**
   * Puts this gate innermost in {@code server}'s chain of wrappers, where Javalin then adds its
   * servlet context: inside the statistics handler whose count of requests in flight a graceful
   * stop waits on, so that an upload still arriving counts as one.
   */
  void installIn(Server server) {
    if (!(server.getHandler() instanceof Handler.Wrapper outer)) {
      server.insertHandler(this);
      return;
    }
    Handler.Wrapper innermost = outer;
    while (innermost.getHandler() instanceof Handler.Wrapper inner) {
      innermost = inner;
    }
    innermost.setHandler(this);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    HttpFields headers = request.getHeaders();
    boolean hasBody =
        headers.contains(HttpHeader.CONTENT_LENGTH)
            ? request.getLength() != 0
            : headers.contains(HttpHeader.TRANSFER_ENCODING);
    if (!hasBody) {
      return super.handle(request, response, callback);
    }
    Upload upload = new Upload(request, response, callback);
    if (request.getLength() > maxBytes) {
      upload.refuse(tooLarge(), true, false);
    } else {
      upload.start();
    }
    return true;
  }

  private ApiException tooLarge() {
    return new ApiException(
        413, "payload_too_large", "the request body is larger than " + maxBytes + " bytes");
  }

  private ApiException timedOut() {
    return new ApiException(
        408,
        "request_timeout",
        "the request body did not arrive within "
            + Main.DurationConverter.format(timeout)
            + "; send it at once");
  }

  private static ApiException cutOff() {
    return new ApiException(
        503,
        "unavailable",
        "the server is shutting down and cut the request body off; nothing was stored, send it"
            + " again");
  }

  /** One request's body, read as it arrives. Synchronized: the reader and the timer race. */
  private final class Upload implements Invocable.Task {
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final long deadline;
    private byte[] body;
    private int length;
    private boolean settled;
    private Scheduler.Task timer;

    Upload(Request request, Response response, Callback callback) {
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.deadline = System.nanoTime() + timeout.toNanos();
      // Grown as bytes arrive, not sized from the header: a client that declares a large body and
      // then stalls must not get that much memory for nothing.
      long declared = request.getLength();
      this.body =
          new byte[(int) Math.min(declared >= 0 ? declared : INITIAL_BUFFER, INITIAL_BUFFER)];
    }

    synchronized void start() {
      timer = scheduler().schedule(this::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
      read(false);
    }

    @Override
    public synchronized void run() {
      read(true);
    }

    @Override
    public InvocationType getInvocationType() {
      return InvocationType.NON_BLOCKING;
    }

    /** Takes what has arrived; {@code dispatch}: hand over on another thread (not the caller's). */
    private void read(boolean dispatch) {
      while (!settled) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this);
          return;
        }
        if (Content.Chunk.isFailure(chunk)) {
          // The body will not come: the idle timeout, the client went away, or a shutdown cut it
          // off (Jetty then shortens the idle timeout, so a 408 would blame a client that was in
          // time).
          settle();
          refuse(shuttingDown() ? cutOff() : timedOut(), false, dispatch);
          return;
        }
        boolean last = chunk.isLast();
        ByteBuffer bytes = chunk.getByteBuffer();
        int n = bytes.remaining();
        if ((long) length + n > maxBytes) {
          chunk.release();
          settle();
          refuse(tooLarge(), true, dispatch);
          return;
        }
        if (length + n > body.length) {
          body = Arrays.copyOf(body, Math.min(maxBytes, Math.max(length + n, 2 * body.length)));
        }
        bytes.get(body, length, n);
        length += n;
        chunk.release();
        if (last) {
          settle();
          Content.Chunk whole = Content.Chunk.from(ByteBuffer.wrap(body, 0, length), true);
          hand(new WithBody(request, whole), callback, dispatch);
          return;
        }
      }
    }

    private synchronized void expire() {
      if (!settled) {
        settle();
        refuse(timedOut(), false, true);
      }
    }

    private void settle() {
      settled = true;
      if (timer != null) {
        timer.cancel();
      }
    }

    /**
     * Hands the request over without its body, {@code refusal} attached; {@code drain}: read and
     * drop the rest of the body before ending the exchange.
     */
    void refuse(ApiException refusal, boolean drain, boolean dispatch) {
      settled = true;
      request.setAttribute(REFUSAL, refusal);
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
      Callback done = drain ? new Drain(request, callback, 3L * maxBytes, deadline) : callback;
      hand(new WithBody(request, Content.Chunk.EOF), done, dispatch);
    }

    private void hand(Request handed, Callback done, boolean dispatch) {
      Runnable next =
          () -> {
            try {
              if (!BodyGate.super.handle(handed, response, done)) {
                Response.writeError(handed, response, done, 404);
              }
            } catch (Throwable t) {
              Response.writeError(handed, response, done, t);
            }
          };
      if (dispatch) {
        request.getContext().execute(next);
      } else {
        next.run();
      }
    }

    /** Whether the server is shutting down: its connector accepts nothing more. */
    private boolean shuttingDown() {
      return request.getConnectionMetaData().getConnector().isShutdown();
    }

    private Scheduler scheduler() {
      return request.getComponents().getScheduler();
    }
  }

  /** The request with its body already read: {@code content}, then the end. */
  private static final class WithBody extends Request.Wrapper {
    private Content.Chunk next;

    WithBody(Request request, Content.Chunk content) {
      super(request);
      this.next = content;
    }

    @Override
    public synchronized Content.Chunk read() {
      Content.Chunk chunk = next;
      next = Content.Chunk.EOF;
      return chunk;
    }

    @Override
    public void demand(Runnable demandCallback) {
      getContext().execute(demandCallback);
    }
  }

  /**
   * Ends the exchange once the rest of a refused body has been read and dropped, up to {@code
   * budget} bytes or the {@code deadline} ({@link System#nanoTime}), whichever comes first.
   */
  private static final class Drain implements Callback, Invocable.Task {
    private final Request request;
    private final Callback callback;
    private final long deadline;
    private long budget;
    private boolean armed;
    private boolean finished;

    Drain(Request request, Callback callback, long budget, long deadline) {
      this.request = request;
      this.callback = callback;
      this.budget = budget;
      this.deadline = deadline;
    }

    @Override
    public void succeeded() {
      run();
    }

    @Override
    public void failed(Throwable x) {
      callback.failed(x);
    }

    @Override
    public synchronized void run() {
      while (!finished && budget > 0 && System.nanoTime() < deadline) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this);
          giveUpAtTheDeadline();
          return;
        }
        budget -= chunk.remaining();
        boolean end = chunk.isLast() || Content.Chunk.isFailure(chunk);
        chunk.release();
        if (end) {
          break;
        }
      }
      finish();
    }

    /** The client may never send the rest: the exchange ends at the deadline all the same. */
    private void giveUpAtTheDeadline() {
      if (!armed) {
        armed = true;
        long left = Math.max(0, deadline - System.nanoTime());
        request.getComponents().getScheduler().schedule(this::finish, left, TimeUnit.NANOSECONDS);
      }
    }

    private synchronized void finish() {
      if (!finished) {
        finished = true;
        callback.succeeded();
      }
    }

    @Override
    public InvocationType getInvocationType() {
      return InvocationType.NON_BLOCKING;
    }
  }
}
