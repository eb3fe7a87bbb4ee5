package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A blocking WebSocket client over a plain socket (RFC 6455, with RFC 7692's permessage-deflate
 * when the server accepts it), for tests that decide when, and whether, a client reads: a client
 * that never calls {@link #readText} leaves what the server sends in the kernel buffers.
 */
final class RawWebSocket implements AutoCloseable {
  /** A {@code permessage-deflate} offer. */
  enum DeflateOffer {
    /** No offer. */
    NONE(null),
    /** Plain {@code permessage-deflate}, as browsers offer it. */
    PLAIN("permessage-deflate"),
    /** Without context takeover either way. */
    NO_CONTEXT_TAKEOVER(
        "permessage-deflate; client_no_context_takeover; server_no_context_takeover");

    private final String header;

    DeflateOffer(String header) {
      this.header = header;
    }
  }

  /**
   * How to connect.
   *
   * @param receiveBufferBytes the socket's receive buffer, set before connecting; 0: the default
   * @param readBytesPerSecond the most the client reads per second, steadily; 0: no limit
   */
  record Options(DeflateOffer deflate, int receiveBufferBytes, int readBytesPerSecond) {
    static Options defaults() {
      return new Options(DeflateOffer.NONE, 0, 0);
    }

    Options offerDeflate(DeflateOffer offer) {
      return new Options(offer, receiveBufferBytes, readBytesPerSecond);
    }

    Options receiveBufferBytes(int bytes) {
      return new Options(deflate, bytes, readBytesPerSecond);
    }

    Options readBytesPerSecond(int rate) {
      return new Options(deflate, receiveBufferBytes, rate);
    }
  }

  /** Reads at most {@code rate} bytes per second from {@code in}, in reads of at most 1 KiB. */
  private static InputStream throttled(InputStream in, int rate) {
    long started = System.nanoTime();
    return new FilterInputStream(in) {
      private long read;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        long due = started + read * 1_000_000_000L / rate;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          try {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
          }
        }
        int n = super.read(b, off, Math.min(len, 1024));
        if (n > 0) {
          read += n;
        }
        return n;
      }
    };
  }

  /**
   * A close frame's code and reason; or 1006 when the connection ended without one, with how it
   * ended as the reason: {@code end of stream}, or the socket's error ({@code Connection reset}).
   */
  record Close(int code, String reason) {}

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final String extensions;
  private final Inflater inflater;
  private boolean lastCompressed;
  private int lastFrames;

  private RawWebSocket(Socket socket, DataInputStream in, String extensions) throws IOException {
    this.socket = socket;
    this.in = in;
    this.out = socket.getOutputStream();
    this.extensions = extensions;
    this.inflater = extensions.startsWith("permessage-deflate") ? new Inflater(true) : null;
  }

  static RawWebSocket connect(URI uri, Options options) throws IOException {
    Socket socket = new Socket();
    if (options.receiveBufferBytes() > 0) {
      socket.setReceiveBufferSize(options.receiveBufferBytes());
    }
    socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String key = Base64.getEncoder().encodeToString(nonce);
    String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    StringBuilder request =
        new StringBuilder("GET " + path + " HTTP/1.1\r\n")
            .append("Host: ")
            .append(uri.getHost())
            .append(':')
            .append(uri.getPort())
            .append(
                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
            .append("Sec-WebSocket-Key: ")
            .append(key)
            .append("\r\n");
    if (options.deflate().header != null) {
      request.append("Sec-WebSocket-Extensions: ").append(options.deflate().header).append("\r\n");
    }
    socket.getOutputStream().write(request.append("\r\n").toString().getBytes(UTF_8));
    InputStream raw = socket.getInputStream();
    DataInputStream in =
        new DataInputStream(
            options.readBytesPerSecond() > 0 ? throttled(raw, options.readBytesPerSecond()) : raw);
    String status = line(in);
    if (!status.startsWith("HTTP/1.1 101")) {
      socket.close();
      throw new IOException("upgrade refused: " + status);
    }
    String accept = null;
    String extensions = "";
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      int colon = header.indexOf(':');
      String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim();
      if (name.equals("sec-websocket-accept")) {
        accept = value;
      } else if (name.equals("sec-websocket-extensions")) {
        extensions = value;
      }
    }
    if (!acceptFor(key).equals(accept)) {
      socket.close();
      throw new IOException("wrong Sec-WebSocket-Accept: " + accept);
    }
    return new RawWebSocket(socket, in, extensions);
  }

  /** The extensions the server accepted, as its response named them; empty for none. */
  String acceptedExtensions() {
    return extensions;
  }

  /** Whether the last message read came compressed (RSV1 on its first frame). */
  boolean lastCompressed() {
    return lastCompressed;
  }

  /** How many frames the last message read came in. */
  int lastFrames() {
    return lastFrames;
  }

  int localPort() {
    return socket.getLocalPort();
  }

  /** The next text message; answers pings on the way. */
  String readText(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    while (true) {
      Message message = readMessage();
      if (message.opcode == 0x1) {
        return message.text();
      }
      if (message.opcode == 0x8) {
        throw new EOFException("closed by the server: " + message.close());
      }
    }
  }

  /**
   * Reads (and drops) messages until a close frame, or the end of the connection (1006, see {@link
   * Close}).
   */
  Close awaitClose(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    try {
      while (true) {
        Message message = readMessage();
        if (message.opcode == 0x8) {
          return message.close();
        }
      }
    } catch (EOFException ended) {
      return new Close(1006, "end of stream");
    } catch (java.net.SocketException ended) {
      return new Close(1006, String.valueOf(ended.getMessage()));
    } catch (SocketTimeoutException e) {
      throw new IOException("no close within " + timeout, e);
    }
  }

  private record Message(int opcode, byte[] payload) {
    String text() {
      return new String(payload, UTF_8);
    }

    Close close() {
      if (payload.length < 2) {
        return new Close(1005, "");
      }
      int code = ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
      return new Close(code, new String(payload, 2, payload.length - 2, UTF_8));
    }
  }

  private Message readMessage() throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    int opcode = -1;
    boolean compressed = false;
    int frames = 0;
    while (true) {
      int first = in.readUnsignedByte();
      int second = in.readUnsignedByte();
      long length = second & 0x7f;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = new byte[Math.toIntExact(length)];
      in.readFully(payload);
      int frameOpcode = first & 0x0f;
      if (frameOpcode >= 0x8) {
        if (frameOpcode == 0x9) {
          sendFrame(0x8A, payload);
          continue;
        }
        if (frameOpcode == 0x8) {
          return new Message(0x8, payload);
        }
        continue; // a pong
      }
      if (frameOpcode != 0) {
        opcode = frameOpcode;
        compressed = (first & 0x40) != 0;
      }
      data.write(payload);
      frames++;
      if ((first & 0x80) != 0) {
        byte[] whole = data.toByteArray();
        lastCompressed = compressed;
        lastFrames = frames;
        return new Message(opcode, compressed ? inflate(whole) : whole);
      }
    }
  }

  private byte[] inflate(byte[] compressed) throws IOException {
    if (inflater == null) {
      throw new IOException("a compressed message without permessage-deflate");
    }
    if (extensions.contains("server_no_context_takeover")) {
      inflater.reset();
    }
    byte[] tail = {0, 0, (byte) 0xff, (byte) 0xff};
    byte[] input = new byte[compressed.length + tail.length];
    System.arraycopy(compressed, 0, input, 0, compressed.length);
    System.arraycopy(tail, 0, input, compressed.length, tail.length);
    inflater.setInput(input);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] chunk = new byte[8192];
    try {
      int n;
      while ((n = inflater.inflate(chunk)) > 0 || !inflater.needsInput()) {
        out.write(chunk, 0, n);
        if (n == 0 && inflater.finished()) {
          break;
        }
      }
    } catch (DataFormatException e) {
      throw new IOException("cannot inflate a message", e);
    }
    return out.toByteArray();
  }

  /** Sends a ping; the server's pong is skipped when messages are read. */
  void ping(byte[] payload) throws IOException {
    sendFrame(0x89, payload);
  }

  /**
   * Sends {@code text} compressed as {@code permessage-deflate} does (a raw deflate stream, sync
   * flushed, its four-byte tail removed), split into {@code frames} frames: RSV1 on the first only.
   */
  void sendCompressed(String text, int frames) throws IOException {
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try {
      deflater.setInput(text.getBytes(UTF_8));
      byte[] chunk = new byte[8192];
      int n;
      while ((n = deflater.deflate(chunk, 0, chunk.length, Deflater.SYNC_FLUSH)) > 0) {
        compressed.write(chunk, 0, n);
      }
    } finally {
      deflater.end();
    }
    byte[] all = compressed.toByteArray();
    byte[] message = Arrays.copyOf(all, all.length - 4);
    int step = Math.max(1, (message.length + frames - 1) / frames);
    for (int from = 0, i = 0; i < frames; i++, from += step) {
      int to = i == frames - 1 ? message.length : Math.min(message.length, from + step);
      int first = (i == frames - 1 ? 0x80 : 0) | (i == 0 ? 0x40 | 0x1 : 0x0);
      sendFrame(first, Arrays.copyOfRange(message, Math.min(from, to), to));
    }
  }

  /**
   * Sends one masked frame, as a client must: {@code first} is its first byte (FIN, RSV bits and
   * opcode), as given.
   */
  synchronized void sendFrame(int first, byte[] payload) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(first);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else if (payload.length < 65536) {
      frame.write(0x80 | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length & 0xff);
    } else {
      frame.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) ((long) payload.length >>> shift) & 0xff);
      }
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    frame.write(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i % 4]);
    }
    out.write(frame.toByteArray());
    out.flush();
  }

  /** Ends the connection with a TCP reset (SO_LINGER 0), no close frame: a client gone at once. */
  void reset() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
    if (inflater != null) {
      inflater.end();
    }
  }

  /** Sends a close frame (1000) and closes the socket. */
  @Override
  public void close() {
    try {
      sendFrame(0x88, new byte[] {0x03, (byte) 0xe8});
    } catch (IOException ignored) {
      // the server closed it first
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
    if (inflater != null) {
      inflater.end();
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new EOFException("the connection ended in the upgrade response");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(UTF_8);
  }

  private static String acceptFor(String key) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1")
              .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(UTF_8));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is in every JDK", e);
    }
  }
}
