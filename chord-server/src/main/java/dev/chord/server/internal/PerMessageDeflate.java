package dev.chord.server.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.compression.CompressionPool;
import org.eclipse.jetty.websocket.core.AbstractExtension;
import org.eclipse.jetty.websocket.core.ExtensionConfig;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.OutgoingEntry;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
import org.eclipse.jetty.websocket.core.exception.BadPayloadException;
import org.eclipse.jetty.websocket.core.exception.MessageTooLargeException;
import org.eclipse.jetty.websocket.core.exception.ProtocolException;
import org.jspecify.annotations.Nullable;

/**
 * The server's {@code permessage-deflate} (RFC 7692), always without context takeover in either
 * direction, so that a live connection holds no compression state between messages. Registered in
 * place of Jetty's own when compression is on; public only because Jetty creates its extensions by
 * reflection.
 *
 * <p>Why not Jetty's: it keeps a zlib deflater (about 256 KiB of native memory) for as long as a
 * connection lives once it was sent a message, even without context takeover: it gives the deflater
 * back to its pool at the end of a message and, in the same call, takes one again to clear its
 * input (Jetty 12.1.12 to 12.1.14). With it, ~170 KB of RSS per connection was measured at 1,000
 * right after connecting, ~400 KB after messages.
 *
 * <p>What it does:
 *
 * <ul>
 *   <li>Negotiation: whatever the client offered, the answer is {@code permessage-deflate;
 *       server_no_context_takeover; client_no_context_takeover}, which RFC 7692 lets a server
 *       answer to any offer (sections 7.1.1.1 and 7.1.1.2). Window-size parameters are not
 *       answered, so both sides use zlib's 15 bits: the JDK's deflater has no smaller window, and
 *       an offer that asks the server for one ({@code server_max_window_bits}, which no browser
 *       sends) is answered the same way, as Jetty's own does, rather than declined.
 *   <li>Sending: a whole (unfragmented) text or binary message is compressed on its own with a
 *       deflater taken from Jetty's shared pool and given back before the frame is passed on; one
 *       whose compressed form is not smaller goes out as it is (RSV1 clear), as the RFC allows for
 *       any message. A message sent in parts (a large one, see {@code LiveEndpoint}) is one
 *       compressed stream whose parts are each deflated with a pooled deflater given back at once,
 *       so no deflater is held while a part waits to be written.
 *   <li>Receiving: a compressed message is inflated frame by frame with an inflater held only until
 *       its final frame; its inflated size is bounded by the configured maximum message size before
 *       any more is inflated (1009 past it), so a small compressed frame cannot expand into a large
 *       one. Malformed data is 1007; RSV1 on a continuation or control frame is 1002. A sender may
 *       end a message with a final block (RFC 7692, section 7.2.3.4, whose example leaves an empty
 *       block's header after it): what follows a final block is not inflated.
 * </ul>
 */
public final class PerMessageDeflate extends AbstractExtension {
  /** The extension's registered name. */
  public static final String NAME = "permessage-deflate";

  /** The answer to every offer (its parameters without values: {@code key=} is malformed). */
  public static final String ANSWER =
      NAME + "; server_no_context_takeover; client_no_context_takeover";

  /** What a sync flush ends with, removed when sending and put back when receiving. */
  private static final byte[] TAIL = {0x00, 0x00, (byte) 0xff, (byte) 0xff};

  /**
   * Whether the message being sent in parts is compressed, from its first frame to its last. Its
   * frames are sent one after the other, each once the previous one is written, but not always from
   * one thread: volatile. (Control frames, which may be sent meanwhile, do not touch it.)
   */
  private volatile boolean sendingCompressed;

  // Incoming frames arrive one at a time per connection (each is demanded after the previous one
  // is handled); the lock (this) is for close(), which may come from any thread.
  private boolean closed;
  private boolean receivingCompressed;
  private byte receivingOpCode;
  private long receivedBytes;
  private CompressionPool<Inflater>.@Nullable Entry inflater;

  /** For Jetty. */
  public PerMessageDeflate() {}

  @Override
  public String getName() {
    return NAME;
  }

  @Override
  public boolean isRsv1User() {
    return true;
  }

  @Override
  public void init(ExtensionConfig offer, WebSocketComponents components) {
    // a copy: parse hands out one shared instance for a common header
    super.init(new ExtensionConfig(ExtensionConfig.parse(ANSWER)), components);
  }

  @Override
  public void sendFrame(OutgoingEntry entry) {
    Frame frame = entry.getFrame();
    byte opCode = frame.getOpCode();
    if (frame.isControlFrame()) {
      nextOutgoingFrame(entry);
      return;
    }
    @Nullable Frame out;
    try {
      out =
          opCode == OpCode.CONTINUATION
              ? continued(frame)
              : frame.isFin() ? whole(frame) : started(frame);
    } catch (RuntimeException e) {
      entry.getCallback().failed(e);
      return;
    }
    nextOutgoingFrame(out == null ? entry : new OutgoingEntry.Builder(entry).frame(out).build());
  }

  /** A whole message compressed on its own; {@code null} to send it as it is (not smaller). */
  private @Nullable Frame whole(Frame frame) {
    ByteBuffer payload = frame.getPayload();
    int length = payload == null ? 0 : payload.remaining();
    if (length == 0) {
      return null;
    }
    Output compressed = deflate(payload);
    if (compressed.size - TAIL.length >= length) {
      return null;
    }
    return compressedFrame(frame.getOpCode(), true, compressed, true);
  }

  /**
   * The first frame of a message sent in parts, compressed: whether to is decided here, before the
   * rest is known. Each part is compressed with a deflater of its own, taken from the pool and
   * given back at once: a sync-flushed part is a run of non-final blocks that refers to nothing
   * before it, so the parts join into one valid stream and nothing is held between their writes.
   */
  private Frame started(Frame frame) {
    sendingCompressed = true;
    return compressedFrame(frame.getOpCode(), false, deflate(frame.getPayload()), true);
  }

  /** A continuation frame compressed, if its message is; {@code null} if not. */
  private @Nullable Frame continued(Frame frame) {
    if (!sendingCompressed) {
      return null;
    }
    if (frame.isFin()) {
      sendingCompressed = false;
    }
    return compressedFrame(OpCode.CONTINUATION, frame.isFin(), deflate(frame.getPayload()), false);
  }

  /** {@code payload} sync flushed through a pooled deflater, given back before this returns. */
  private Output deflate(@Nullable ByteBuffer payload) {
    CompressionPool<Deflater>.Entry held = getDeflaterPool().acquire();
    try {
      return Output.deflate(held.get(), payload == null ? ByteBuffer.allocate(0) : payload);
    } finally {
      held.release();
    }
  }

  /**
   * A frame of {@code compressed}; a final one without the sync flush's tail, or one byte 0x00 if
   * nothing else is left (RFC 7692, section 7.2.3.6).
   */
  private static Frame compressedFrame(byte opCode, boolean fin, Output compressed, boolean first) {
    ByteBuffer payload =
        !fin
            ? ByteBuffer.wrap(compressed.bytes, 0, compressed.size)
            : compressed.size > TAIL.length
                ? ByteBuffer.wrap(compressed.bytes, 0, compressed.size - TAIL.length)
                : ByteBuffer.wrap(new byte[] {0x00});
    Frame out = new Frame(opCode, fin, payload);
    out.setRsv1(first);
    return out;
  }

  @Override
  public void onFrame(Frame frame, Callback callback) {
    Frame inflated;
    try {
      inflated = receive(frame);
    } catch (RuntimeException e) {
      releaseInflater();
      callback.failed(e); // Jetty closes with the code of e: 1002, 1007, 1009 (1011 otherwise)
      return;
    }
    nextIncomingFrame(inflated, callback);
  }

  /**
   * {@code frame} as the next layer takes it: inflated, if it is part of a compressed message.
   * Synchronized with {@link #close}, which Jetty may call from another thread meanwhile (a
   * connection ending while a frame is inflated): the pooled inflater is given back exactly once,
   * and none is taken after the close.
   */
  private synchronized Frame receive(Frame frame) {
    if (frame.isControlFrame()) {
      if (frame.isRsv1()) {
        throw new ProtocolException("RSV1 on a control frame");
      }
      return frame;
    }
    if (frame.getOpCode() == OpCode.CONTINUATION) {
      if (frame.isRsv1()) {
        throw new ProtocolException("RSV1 on a continuation frame");
      }
    } else {
      receivingCompressed = frame.isRsv1();
      receivingOpCode = frame.getOpCode();
      receivedBytes = 0;
    }
    if (!receivingCompressed) {
      return frame;
    }
    if (closed) {
      throw new ProtocolException("a frame after the connection closed");
    }
    CompressionPool<Inflater>.Entry held = inflater;
    if (held == null) {
      held = getInflaterPool().acquire();
      inflater = held;
    }
    long room = maxMessageBytes() - receivedBytes;
    Output out = new Output((int) Math.min(Output.LARGEST, frame.getPayloadLength() * 4L), room);
    ByteBuffer payload = frame.getPayload();
    if (payload != null && payload.hasRemaining()) {
      held.get().setInput(payload.slice());
      out.inflateAll(held.get());
    }
    if (frame.isFin()) {
      held.get().setInput(TAIL); // ignored by an inflater the final block finished
      out.inflateAll(held.get());
      releaseInflater();
    }
    receivedBytes += out.size;
    return new Frame(frame.getOpCode(), frame.isFin(), ByteBuffer.wrap(out.bytes, 0, out.size));
  }

  /** The configured maximum size of the message being received, once inflated. */
  private long maxMessageBytes() {
    long max =
        receivingOpCode == OpCode.BINARY
            ? getConfiguration().getMaxBinaryMessageSize()
            : getConfiguration().getMaxTextMessageSize();
    return max > 0 ? Math.min(max, Output.LARGEST) : Output.LARGEST;
  }

  private synchronized void releaseInflater() {
    CompressionPool<Inflater>.Entry held = inflater;
    inflater = null;
    if (held != null) {
      held.release();
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    releaseInflater();
  }

  /**
   * One frame's deflated or inflated bytes; inflated ones grow up to one byte past the room the
   * message has left.
   */
  private static final class Output {
    /** The largest array the JVM reliably allocates. */
    static final int LARGEST = Integer.MAX_VALUE - 8;

    /** All of {@code payload} through {@code deflater}, sync flushed (so ending with the tail). */
    static Output deflate(Deflater deflater, ByteBuffer payload) {
      Output out = new Output(payload.remaining() / 2 + TAIL.length, LARGEST - 1);
      deflater.setInput(payload.slice());
      while (true) {
        out.size +=
            deflater.deflate(out.bytes, out.size, out.bytes.length - out.size, Deflater.SYNC_FLUSH);
        if (out.size < out.bytes.length) {
          return out;
        }
        out.bytes = Arrays.copyOf(out.bytes, (int) Math.min(LARGEST, out.bytes.length * 2L));
      }
    }

    private final long room;
    byte[] bytes;
    int size;

    Output(int expectedBytes, long room) {
      this.room = room;
      this.bytes = new byte[(int) Math.min(room + 1, Math.max(64, expectedBytes))];
    }

    /** Inflates all of {@code inflater}'s input; past the room, throws 1009 and stops. */
    void inflateAll(Inflater inflater) {
      try {
        while (true) {
          if (size == bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.min(room + 1, bytes.length * 2L));
          }
          int n = inflater.inflate(bytes, size, bytes.length - size);
          size += n;
          if (size > room) {
            throw new MessageTooLargeException("the message inflates past the maximum size");
          }
          if (n == 0 && size < bytes.length) {
            if (inflater.needsInput() || inflater.finished()) {
              return;
            }
            throw new BadPayloadException("a compressed message needs a preset dictionary");
          }
        }
      } catch (DataFormatException e) {
        throw new BadPayloadException("a compressed message does not inflate", e);
      }
    }
  }
}
