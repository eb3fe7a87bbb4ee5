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
 * input (Jetty 12.1.12 to 12.1.14). ~400 KB of RSS per connection was measured at 1,000.
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
 *       deflater taken from Jetty's shared pool and given back before the frame is passed on; a
 *       message whose compressed form is not smaller, a fragmented message and control frames go
 *       out as they are (RSV1 clear), as the RFC allows for any message.
 *   <li>Receiving: a compressed message is inflated frame by frame with an inflater held only until
 *       its final frame; its inflated size is bounded by the configured maximum message size before
 *       any more is inflated (1009 past it), so a small compressed frame cannot expand into a large
 *       one. Malformed data is 1007; RSV1 on a continuation or control frame is 1002.
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

  // Incoming frames arrive one at a time per connection (each is demanded after the previous one
  // is handled), so the receiving state needs no lock.
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
    if (!frame.isFin() || (opCode != OpCode.TEXT && opCode != OpCode.BINARY)) {
      nextOutgoingFrame(entry);
      return;
    }
    ByteBuffer compressed;
    try {
      compressed = deflate(frame.getPayload());
    } catch (RuntimeException e) {
      entry.getCallback().failed(e);
      return;
    }
    if (compressed == null) {
      nextOutgoingFrame(entry);
      return;
    }
    Frame out = new Frame(opCode, true, compressed);
    out.setRsv1(true);
    nextOutgoingFrame(new OutgoingEntry.Builder(entry).frame(out).build());
  }

  /**
   * {@code payload} compressed on its own, without the sync flush's tail; {@code null} if that is
   * not smaller than the payload.
   */
  private @Nullable ByteBuffer deflate(@Nullable ByteBuffer payload) {
    int length = payload == null ? 0 : payload.remaining();
    if (payload == null || length == 0) {
      return null;
    }
    CompressionPool<Deflater>.Entry held = getDeflaterPool().acquire();
    try {
      Deflater deflater = held.get();
      deflater.setInput(payload.slice());
      byte[] out = new byte[Math.max(64, length / 2 + TAIL.length)];
      int size = 0;
      while (true) {
        size += deflater.deflate(out, size, out.length - size, Deflater.SYNC_FLUSH);
        if (size < out.length) {
          break;
        }
        out = Arrays.copyOf(out, out.length * 2);
      }
      int withoutTail = size - TAIL.length;
      if (withoutTail >= length) {
        return null;
      }
      return ByteBuffer.wrap(out, 0, withoutTail);
    } finally {
      held.release();
    }
  }

  @Override
  public void onFrame(Frame frame, Callback callback) {
    try {
      Frame inflated = receive(frame);
      nextIncomingFrame(inflated, callback);
    } catch (ProtocolException | BadPayloadException | MessageTooLargeException e) {
      releaseInflater();
      callback.failed(e);
    }
  }

  /** {@code frame} as the next layer takes it: inflated, if it is part of a compressed message. */
  private Frame receive(Frame frame) {
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
    CompressionPool<Inflater>.Entry held = inflater;
    if (held == null) {
      held = getInflaterPool().acquire();
      inflater = held;
    }
    long room = maxMessageBytes() - receivedBytes;
    Output out = new Output(frame.getPayloadLength(), room);
    ByteBuffer payload = frame.getPayload();
    if (payload != null && payload.hasRemaining()) {
      held.get().setInput(payload.slice());
      out.inflateAll(held.get());
    }
    if (frame.isFin()) {
      held.get().setInput(TAIL);
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

  private void releaseInflater() {
    CompressionPool<Inflater>.Entry held = inflater;
    inflater = null;
    if (held != null) {
      held.release();
    }
  }

  @Override
  public void close() {
    releaseInflater();
  }

  /** One frame's inflated bytes, growing up to one byte past the room the message has left. */
  private static final class Output {
    /** The largest array the JVM reliably allocates. */
    static final int LARGEST = Integer.MAX_VALUE - 8;

    private final long room;
    byte[] bytes;
    int size;

    Output(int compressedBytes, long room) {
      this.room = room;
      this.bytes = new byte[(int) Math.min(room + 1, Math.max(64, compressedBytes * 4L))];
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
