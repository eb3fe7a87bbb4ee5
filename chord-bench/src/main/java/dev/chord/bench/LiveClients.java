package dev.chord.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.HdrHistogram.Histogram;

/**
 * Many WebSocket clients of the live endpoint on one selector thread (RFC 6455 over non-blocking
 * sockets, RFC 7692's {@code permessage-deflate} when offered), so that the load tool costs a
 * socket per client, not a thread. Two kinds of client:
 *
 * <ul>
 *   <li>{@link Kind#READING}: reads every message, answers pings, and checks the stream: each patch
 *       must start at the version it holds ({@code holes} counts those that do not), a patch over
 *       more than one version is a merge. A message carrying a send stamp ({@code @@<nanoTime>@@},
 *       written by the load tool's writer in this process) records its lag: stamp to the moment the
 *       message is parsed here.
 *   <li>{@link Kind#STALLED}: upgrades, then never reads again, with a 4 KiB receive buffer: what
 *       the server sends it stays in the kernel.
 * </ul>
 *
 * <p>Everything a client holds is touched only by the selector thread; other threads ask through
 * {@link #call}. Messages are scanned as bytes for the top-level {@code type}, {@code fromVersion}
 * and {@code version}, not parsed, so that reading 100,000 messages a second fits on one core
 * beside the server.
 */
final class LiveClients implements AutoCloseable {
  /** What a client does after the upgrade. */
  enum Kind {
    READING,
    STALLED
  }

  /**
   * A figure over every reading client, taken on the selector thread; {@code compressed} counts the
   * upgrades whose answer accepted {@code permessage-deflate}.
   */
  record Totals(
      int open,
      int failed,
      int compressed,
      int closedByServer,
      long messages,
      long versions,
      long merges,
      long holes,
      long wireBytes,
      long inflatedBytes) {}

  private static final int MAX_CONNECTING = 64;
  private static final int STALLED_RECEIVE_BUFFER = 4096;
  private static final byte[] NOTHING = new byte[0];
  private static final byte[] DEFLATE_TAIL = {0, 0, (byte) 0xff, (byte) 0xff};
  private static final byte[] TYPE = "\"type\":\"".getBytes(US_ASCII);
  private static final byte[] FROM_VERSION = "\"fromVersion\":".getBytes(US_ASCII);
  private static final byte[] VERSION = "\"version\":".getBytes(US_ASCII);
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final InetSocketAddress server;
  private final String hostHeader;
  private final String deflateOffer;
  private final Selector selector;
  private final Thread thread;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Queue<Client> waiting = new ArrayDeque<>();
  private final List<Client> clients = new ArrayList<>();
  private final Histogram lag = newHistogram();
  private final Histogram oldestLag = newHistogram();
  private Histogram intervalLag = newHistogram();
  private long stampsAfter = Long.MAX_VALUE;
  private int connecting;
  private int open;
  private int failed;
  private int compressed;
  private int closedByServer;
  private long wireBytes;
  private long inflatedBytes;
  private ByteBuffer readBuffer = ByteBuffer.allocateDirect(256 * 1024);
  private byte[] frameBytes = new byte[256 * 1024];
  private byte[] inflated = new byte[256 * 1024];
  private long[] stamps = new long[16];
  private volatile boolean running = true;

  /**
   * @param deflateOffer the {@code Sec-WebSocket-Extensions} offer, or {@code null} for none
   */
  LiveClients(InetSocketAddress server, String deflateOffer) throws IOException {
    this.server = server;
    this.hostHeader = server.getHostString() + ":" + server.getPort();
    this.deflateOffer = deflateOffer;
    this.selector = Selector.open();
    this.thread = new Thread(this::loop, "live-clients");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Queues {@code count} clients of {@code kind} on {@code path} (with its query); returns at once.
   */
  void connect(Kind kind, String path, int count) {
    call(
        () -> {
          for (int i = 0; i < count; i++) {
            waiting.add(new Client(kind, path));
          }
          startWaiting();
          return null;
        });
  }

  /** Runs {@code action} on the selector thread and returns its result. */
  <T> T call(Supplier<T> action) {
    CompletableFuture<T> result = new CompletableFuture<>();
    tasks.add(
        () -> {
          try {
            result.complete(action.get());
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
          }
        });
    selector.wakeup();
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Clients still waiting to connect or in their upgrade. */
  int pending() {
    return call(() -> waiting.size() + connecting);
  }

  Totals totals() {
    return call(
        () -> {
          long messages = 0;
          long versions = 0;
          long merges = 0;
          long holes = 0;
          for (Client client : clients) {
            messages += client.messages;
            versions += client.versions;
            merges += client.merges;
            holes += client.holes;
          }
          return new Totals(
              open,
              failed,
              compressed,
              closedByServer,
              messages,
              versions,
              merges,
              holes,
              wireBytes,
              inflatedBytes);
        });
  }

  /** Records lag only for stamps taken at or after {@code nanoTime}; earlier ones are warm-up. */
  void recordStampsAfter(long nanoTime) {
    call(
        () -> {
          stampsAfter = nanoTime;
          lag.reset();
          oldestLag.reset();
          intervalLag.reset();
          return null;
        });
  }

  /**
   * Every lag recorded since {@link #recordStampsAfter}, in microseconds: from the newest stamp a
   * message carries.
   */
  Histogram lag() {
    return call(lag::copy);
  }

  /**
   * Like {@link #lag}, from the oldest stamp a message carries: for a patch that merged several
   * versions, the lag of the oldest of them (as long as each update stamps a key of its own, see
   * {@code LiveLoad}).
   */
  Histogram oldestLag() {
    return call(oldestLag::copy);
  }

  /** The lag recorded since the last call, in microseconds; starts the next interval. */
  Histogram takeIntervalLag() {
    return call(
        () -> {
          Histogram taken = intervalLag;
          intervalLag = newHistogram();
          return taken;
        });
  }

  /** How many reading clients on {@code path} hold a version below {@code version}. */
  int behind(String path, long version) {
    return call(
        () ->
            (int)
                clients.stream()
                    .filter(c -> c.kind == Kind.READING && c.path.equals(path))
                    .filter(c -> c.channel.isOpen() && c.version < version)
                    .count());
  }

  @Override
  public void close() throws IOException {
    running = false;
    selector.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Client client : clients) {
      client.channel.close();
      if (client.inflater != null) {
        client.inflater.end();
      }
    }
    selector.close();
  }

  private static Histogram newHistogram() {
    return new Histogram(3_600_000_000L, 3);
  }

  private void loop() {
    try {
      while (running) {
        // the consumer form: no selected-key set to fill, iterate and clear for every event
        selector.select(this::ready, 100);
        for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
          task.run();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("the client selector failed", e);
    }
  }

  private void ready(SelectionKey key) {
    Client client = (Client) key.attachment();
    try {
      if (key.isValid() && key.isConnectable()) {
        client.finishConnect();
      } else if (key.isValid() && key.isReadable()) {
        client.read();
      } else if (key.isValid() && key.isWritable()) {
        client.flush();
      }
    } catch (IOException e) {
      client.fail();
    }
  }

  private void startWaiting() {
    while (connecting < MAX_CONNECTING && !waiting.isEmpty()) {
      Client client = waiting.poll();
      try {
        client.start();
        connecting++;
      } catch (IOException e) {
        failed++;
      }
    }
  }

  private static int indexOf(byte[] bytes, int from, int to, byte[] needle) {
    outer:
    for (int i = from; i <= to - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (bytes[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static long numberAfter(byte[] bytes, int at, int to) {
    long value = 0;
    for (int i = at; i < to && bytes[i] >= '0' && bytes[i] <= '9'; i++) {
      value = value * 10 + (bytes[i] - '0');
    }
    return value;
  }

  /**
   * Collects every {@code @@<digits>@@} stamp in the message into {@link #stamps}; returns how
   * many.
   */
  private int collectStamps(byte[] bytes, int from, int to) {
    int count = 0;
    for (int i = from; i < to - 2; i++) {
      if (bytes[i] == '@' && bytes[i + 1] == '@' && bytes[i + 2] >= '0' && bytes[i + 2] <= '9') {
        if (count == stamps.length) {
          stamps = Arrays.copyOf(stamps, 2 * count);
        }
        stamps[count++] = numberAfter(bytes, i + 2, to);
        i += 2;
      }
    }
    return count;
  }

  /**
   * The stamp of the oldest version a patch over {@code versions} versions carries, of the first
   * {@code count} of {@code stamps} (which it sorts): each version stamps a key of its own (up to
   * {@link LiveLoad#STAMP_KEYS}), so its values are the patch's largest stamps, and any smaller one
   * is an {@code old_value} from before the patch. The {@code versions}th largest, then, or for a
   * longer span the oldest still held; -1 if there is none.
   */
  static long oldestStamp(long[] stamps, int count, long versions) {
    int rank = (int) Math.min(Math.min(versions, LiveLoad.STAMP_KEYS), count);
    if (rank <= 0) {
      return -1;
    }
    Arrays.sort(stamps, 0, count);
    return stamps[count - rank];
  }

  private static long largest(long[] values, int count) {
    long largest = -1;
    for (int i = 0; i < count; i++) {
      largest = Math.max(largest, values[i]);
    }
    return largest;
  }

  private final class Client {
    final Kind kind;
    final String path;
    SocketChannel channel;
    SelectionKey key;
    String nonce;
    boolean upgraded;
    Inflater inflater;
    byte[] carry = NOTHING;
    ByteBuffer unsent;
    byte[] message;
    int messageLength;
    boolean messageCompressed;
    long version = -1;
    long messages;
    long versions;
    long merges;
    long holes;

    Client(Kind kind, String path) {
      this.kind = kind;
      this.path = path;
    }

    void start() throws IOException {
      channel = SocketChannel.open();
      channel.configureBlocking(false);
      if (kind == Kind.STALLED) {
        channel.setOption(StandardSocketOptions.SO_RCVBUF, STALLED_RECEIVE_BUFFER);
      }
      clients.add(this);
      key = channel.register(selector, SelectionKey.OP_CONNECT, this);
      if (channel.connect(server)) {
        finishConnect();
      }
    }

    void finishConnect() throws IOException {
      channel.finishConnect();
      byte[] random = new byte[16];
      ThreadLocalRandom.current().nextBytes(random);
      nonce = Base64.getEncoder().encodeToString(random);
      String request =
          "GET "
              + path
              + " HTTP/1.1\r\nHost: "
              + hostHeader
              + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
              + "Sec-WebSocket-Key: "
              + nonce
              + "\r\n"
              + (deflateOffer == null ? "" : "Sec-WebSocket-Extensions: " + deflateOffer + "\r\n")
              + "\r\n";
      key.interestOps(SelectionKey.OP_READ);
      send(ByteBuffer.wrap(request.getBytes(US_ASCII)));
    }

    void read() throws IOException {
      ByteBuffer buffer = readBuffer;
      buffer.clear();
      buffer.put(carry);
      int read = channel.read(buffer);
      if (read < 0) {
        if (upgraded) {
          closedByServer++;
          end();
        } else {
          fail();
        }
        return;
      }
      wireBytes += read;
      buffer.flip();
      if (!upgraded && !readUpgrade(buffer)) {
        keepRest(buffer);
        return;
      }
      readFrames(buffer);
      keepRest(buffer);
      if (buffer.capacity() - carry.length < 16 * 1024) {
        readBuffer = ByteBuffer.allocateDirect(2 * buffer.capacity());
      }
    }

    private void keepRest(ByteBuffer buffer) {
      carry = buffer.hasRemaining() ? new byte[buffer.remaining()] : NOTHING;
      buffer.get(carry);
    }

    /** Reads the 101 answer's head; false while it is incomplete. */
    private boolean readUpgrade(ByteBuffer buffer) throws IOException {
      int end = -1;
      for (int i = buffer.position(); i + 3 < buffer.limit(); i++) {
        if (buffer.get(i) == '\r'
            && buffer.get(i + 1) == '\n'
            && buffer.get(i + 2) == '\r'
            && buffer.get(i + 3) == '\n') {
          end = i + 4;
          break;
        }
      }
      if (end < 0) {
        return false;
      }
      byte[] head = new byte[end - buffer.position()];
      buffer.get(head);
      String[] lines = new String(head, US_ASCII).split("\r\n");
      if (!lines[0].startsWith("HTTP/1.1 101")) {
        throw new IOException("upgrade refused: " + lines[0]);
      }
      String accept = null;
      for (String line : lines) {
        String lower = line.toLowerCase(Locale.ROOT);
        if (lower.startsWith("sec-websocket-accept:")) {
          accept = line.substring(line.indexOf(':') + 1).trim();
        } else if (lower.startsWith("sec-websocket-extensions:")
            && lower.contains("permessage-deflate")) {
          inflater = new Inflater(true);
          compressed++;
        }
      }
      if (!acceptFor(nonce).equals(accept)) {
        throw new IOException("wrong Sec-WebSocket-Accept");
      }
      upgraded = true;
      connecting--;
      open++;
      startWaiting();
      if (kind == Kind.STALLED) {
        key.interestOps(0);
      }
      return true;
    }

    private void readFrames(ByteBuffer buffer) throws IOException {
      while (buffer.remaining() >= 2) {
        int start = buffer.position();
        int first = buffer.get(start) & 0xff;
        int second = buffer.get(start + 1) & 0xff;
        int lengthCode = second & 0x7f;
        int header = lengthCode == 126 ? 4 : lengthCode == 127 ? 10 : 2;
        if ((second & 0x80) != 0 || buffer.remaining() < header) {
          if ((second & 0x80) != 0) {
            throw new IOException("a masked frame from the server");
          }
          return;
        }
        long length =
            lengthCode == 126
                ? buffer.getShort(start + 2) & 0xffff
                : lengthCode == 127 ? buffer.getLong(start + 2) : lengthCode;
        if (buffer.remaining() < header + length) {
          if (header + length > buffer.capacity() / 2) {
            readBuffer = ByteBuffer.allocateDirect(Math.toIntExact(4 * (header + length)));
          }
          return;
        }
        buffer.position(start + header);
        frame(first, buffer, (int) length);
      }
    }

    private void frame(int first, ByteBuffer buffer, int length) throws IOException {
      boolean fin = (first & 0x80) != 0;
      int opcode = first & 0x0f;
      if (opcode == 0x8) {
        buffer.position(buffer.position() + length);
        closedByServer++;
        end();
        return;
      }
      if (opcode == 0x9) {
        byte[] payload = new byte[length];
        buffer.get(payload);
        send(maskedFrame(0xA, payload));
        return;
      }
      if (opcode == 0xA) {
        buffer.position(buffer.position() + length);
        return;
      }
      if (opcode == 0x1) {
        messageLength = 0;
        messageCompressed = (first & 0x40) != 0;
      }
      if (message == null || message.length < messageLength + length) {
        byte[] grown = new byte[Math.max(1024, 2 * (messageLength + length))];
        if (message != null) {
          System.arraycopy(message, 0, grown, 0, messageLength);
        }
        message = grown;
      }
      buffer.get(message, messageLength, length);
      messageLength += length;
      if (fin) {
        if (messageCompressed) {
          inflate();
        } else {
          received(message, messageLength);
        }
        if (message.length > 64 * 1024) {
          message = null;
        }
      }
    }

    private void inflate() throws IOException {
      if (frameBytes.length < messageLength + DEFLATE_TAIL.length) {
        frameBytes = new byte[2 * (messageLength + DEFLATE_TAIL.length)];
      }
      System.arraycopy(message, 0, frameBytes, 0, messageLength);
      System.arraycopy(DEFLATE_TAIL, 0, frameBytes, messageLength, DEFLATE_TAIL.length);
      inflater.setInput(frameBytes, 0, messageLength + DEFLATE_TAIL.length);
      int total = 0;
      try {
        while (true) {
          int n = inflater.inflate(inflated, total, inflated.length - total);
          total += n;
          if (total == inflated.length) {
            byte[] grown = new byte[2 * inflated.length];
            System.arraycopy(inflated, 0, grown, 0, total);
            inflated = grown;
          } else if (n == 0 && (inflater.needsInput() || inflater.finished())) {
            break;
          }
        }
      } catch (DataFormatException e) {
        throw new IOException("a message that does not inflate", e);
      }
      inflatedBytes += total;
      received(inflated, total);
    }

    /** Checks one text message of the live stream and records its lag. */
    private void received(byte[] bytes, int length) {
      int typeAt = indexOf(bytes, 0, length, TYPE);
      if (typeAt < 0) {
        return;
      }
      byte type = bytes[typeAt + TYPE.length];
      int versionAt = indexOf(bytes, 0, length, VERSION);
      long newVersion = versionAt < 0 ? 0 : numberAfter(bytes, versionAt + VERSION.length, length);
      messages++;
      if (type == 'p') {
        int fromAt = indexOf(bytes, 0, length, FROM_VERSION);
        long from = numberAfter(bytes, fromAt + FROM_VERSION.length, length);
        if (from != version) {
          holes++;
        }
        versions += newVersion - from;
        if (newVersion - from > 1) {
          merges++;
        }
        int count = collectStamps(bytes, 0, length);
        long latest = largest(stamps, count);
        long now = System.nanoTime();
        if (latest >= stampsAfter) {
          long micros = Math.max(0, (now - latest) / 1000);
          lag.recordValue(Math.min(micros, lag.getHighestTrackableValue()));
          intervalLag.recordValue(Math.min(micros, intervalLag.getHighestTrackableValue()));
          long oldest =
              newVersion - from > 1 ? oldestStamp(stamps, count, newVersion - from) : latest;
          if (oldest >= stampsAfter) {
            long oldestMicros = Math.max(0, (now - oldest) / 1000);
            oldestLag.recordValue(Math.min(oldestMicros, oldestLag.getHighestTrackableValue()));
          }
        }
      }
      if (type != 'n') {
        version = newVersion;
      }
    }

    private void send(ByteBuffer bytes) throws IOException {
      if (unsent != null) {
        ByteBuffer joined = ByteBuffer.allocate(unsent.remaining() + bytes.remaining());
        unsent = joined.put(unsent).put(bytes).flip();
      } else {
        channel.write(bytes);
        unsent = bytes.hasRemaining() ? bytes : null;
      }
      if (unsent != null) {
        key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
      }
    }

    void flush() throws IOException {
      channel.write(unsent);
      if (!unsent.hasRemaining()) {
        unsent = null;
        key.interestOps(kind == Kind.STALLED && upgraded ? 0 : SelectionKey.OP_READ);
      }
    }

    void fail() {
      if (!upgraded && channel.isOpen()) {
        connecting--;
        failed++;
        startWaiting();
      } else if (upgraded && channel.isOpen()) {
        closedByServer++;
      }
      end();
    }

    private void end() {
      if (upgraded && channel.isOpen()) {
        open--;
      }
      key.cancel();
      try {
        channel.close();
      } catch (IOException ignored) {
        // the connection is over either way
      }
    }
  }

  private static ByteBuffer maskedFrame(int opcode, byte[] payload) {
    ByteBuffer frame = ByteBuffer.allocate(6 + payload.length);
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    frame.put((byte) (0x80 | opcode)).put((byte) (0x80 | payload.length)).put(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.put((byte) (payload[i] ^ mask[i % 4]));
    }
    return frame.flip();
  }

  private static String acceptFor(String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }
}
