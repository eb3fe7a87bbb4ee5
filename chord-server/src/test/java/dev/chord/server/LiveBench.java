package dev.chord.server;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Server figures for BENCHMARKS.md, run by hand (not a test): updates/s through {@code PATCH} on
 * loopback, and commit-to-delivery latency at many connected WebSocket clients. Server and clients
 * share this JVM and the machine's cores, so the figures are for the whole loop.
 *
 * <pre>
 * mvn -B -q -pl chord-server -am install -DskipTests
 * mvn -B -q -f chord-server dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -cp chord-server/target/classes:chord-server/target/test-classes:$(cat /tmp/cp.txt) \
 *     dev.chord.server.LiveBench [clients=1000] [rate=20] [seconds=15] [patchSeconds=10]
 * </pre>
 *
 * <p>Latency: the time from the commit (taken by a {@code Chord.subscribe} listener on the
 * committing thread) to the moment each client has the message, for every (update, client) pair.
 * Bounded: a fixed number of updates at a fixed rate, loopback only.
 */
public final class LiveBench {
  private LiveBench() {}

  public static void main(String[] args) throws Exception {
    int clients = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    int patchSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    System.out.printf(
        "java %s, %d cores%n",
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
    try (ChordServer server =
        ChordServer.builder().port(0).maxConnectionsPerIp(clients + 10).wsQueueLimit(256).start()) {
      for (boolean minimal : patchSeconds > 0 ? new boolean[] {false, true} : new boolean[0]) {
        patchThroughput(server, 1, patchSeconds, minimal);
        patchThroughput(server, 8, patchSeconds, minimal);
      }
      latency(server, clients, rate, seconds);
    }
    System.exit(0);
  }

  /**
   * {@code threads} clients PATCHing one context each, as fast as the server answers, each on one
   * kept-alive HTTP/1.1 connection (a plain socket client: java.net.http's own overhead per request
   * is larger than the server's, and this measures the server).
   */
  static void patchThroughput(ChordServer server, int threads, int seconds, boolean minimal)
      throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    AtomicLong done = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    for (int t = 0; t < threads; t++) {
      put(http, server.url() + "/contexts/bench:patch" + t + minimal, "{\"participants\":{}}");
    }
    long warmUpEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    long end = warmUpEnd + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String path = "/contexts/bench:patch" + t + minimal;
      String prefer = minimal ? "Prefer: return=minimal\r\n" : "";
      Thread worker =
          new Thread(
              () -> {
                try (Socket socket = new Socket("127.0.0.1", server.port())) {
                  socket.setTcpNoDelay(true);
                  OutputStream out = new BufferedOutputStream(socket.getOutputStream());
                  InputStream in = new BufferedInputStream(socket.getInputStream());
                  long i = 0;
                  while (true) {
                    long now = System.nanoTime();
                    if (now > end) {
                      return;
                    }
                    byte[] body =
                        ("{\"participants\":{\"p" + (i % 1000) + "\":{\"status\":\"s" + i + "\"}}}")
                            .getBytes(StandardCharsets.UTF_8);
                    out.write(
                        ("PATCH "
                                + path
                                + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                + prefer
                                + "Content-Type: application/json\r\nContent-Length: "
                                + body.length
                                + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                    int status = readResponse(in);
                    if (now > warmUpEnd) {
                      (status == 200 ? done : failed).incrementAndGet();
                    }
                    i++;
                  }
                } catch (IOException e) {
                  failed.incrementAndGet();
                }
              });
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    System.out.printf(
        "PATCH throughput, %d connection(s), one context each, %s: %,.0f updates/s (%d errors)%n",
        threads,
        minimal ? "Prefer: return=minimal" : "whole context echoed",
        done.get() / (double) seconds,
        failed.get());
  }

  /** Reads one HTTP/1.1 response with a Content-Length body; returns its status. */
  static int readResponse(InputStream in) throws IOException {
    String statusLine = readLine(in);
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    int length = 0;
    boolean chunked = false;
    for (String line; !(line = readLine(in)).isEmpty(); ) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      } else if (line.regionMatches(true, 0, "Transfer-Encoding:", 0, 18)) {
        chunked = line.toLowerCase(java.util.Locale.ROOT).contains("chunked");
      }
    }
    if (!chunked) {
      in.readNBytes(length);
      return status;
    }
    for (int size; (size = Integer.parseInt(readLine(in).trim(), 16)) > 0; ) {
      in.readNBytes(size);
      readLine(in);
    }
    readLine(in);
    return status;
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  /**
   * {@code clients} WebSocket clients on one context; one writer commits {@code rate} per second.
   */
  static void latency(ChordServer server, int clients, int rate, int seconds) throws Exception {
    String id = "bench:live";
    HttpClient http = HttpClient.newHttpClient();
    put(http, server.url() + "/contexts/" + id, "{\"n\":0,\"participants\":{}}");
    ConcurrentHashMap<Long, Long> committedAt = new ConcurrentHashMap<>();
    AutoCloseable timing =
        server.chord().subscribe(id, r -> committedAt.put(r.version(), System.nanoTime()));
    int updates = rate * seconds;
    int warmUp = Math.min(updates / 5, rate * 2);
    long firstMeasured = 1 + warmUp + 1; // version 1 is the PUT
    long[][] samples = new long[clients][];
    CountDownLatch finished = new CountDownLatch(clients);
    List<WebSocket> sockets = new ArrayList<>();
    HttpClient wsClient = HttpClient.newHttpClient();
    long lastVersion = 1 + updates;
    for (int c = 0; c < clients; c++) {
      Receiver receiver = new Receiver(committedAt, firstMeasured, lastVersion, finished);
      samples[c] = receiver.latencies;
      sockets.add(
          wsClient
              .newWebSocketBuilder()
              .buildAsync(
                  URI.create(server.url().replace("http", "ws") + "/contexts/" + id + "/live"),
                  receiver)
              .get(30, TimeUnit.SECONDS));
    }
    System.out.printf("%d WebSocket clients connected%n", clients);
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    long next = System.nanoTime();
    for (int i = 1; i <= updates; i++) {
      long sleep = next - System.nanoTime();
      if (sleep > 0) {
        TimeUnit.NANOSECONDS.sleep(sleep);
      }
      next += interval;
      send(
          http,
          "PATCH",
          server.url() + "/contexts/" + id,
          "{\"n\":" + i + ",\"participants\":{\"p" + (i % 50) + "\":{\"status\":\"s" + i + "\"}}}");
    }
    boolean all = finished.await(60, TimeUnit.SECONDS);
    timing.close();
    long[] merged =
        Arrays.stream(samples).flatMapToLong(Arrays::stream).filter(v -> v > 0).sorted().toArray();
    long expected = (long) clients * (lastVersion - firstMeasured + 1);
    System.out.printf(
        "commit-to-delivery at %d clients, %d updates/s for %d s (%d measured updates, %d"
            + " warm-up):%n  samples %,d of %,d expected%s%n  p50 %.2f ms, p90 %.2f ms, p99 %.2f"
            + " ms, max %.2f ms%n",
        clients,
        rate,
        seconds,
        lastVersion - firstMeasured + 1,
        warmUp,
        merged.length,
        expected,
        all ? "" : " (some clients did not finish in 60 s)",
        ms(merged, 0.50),
        ms(merged, 0.90),
        ms(merged, 0.99),
        merged.length == 0 ? 0 : merged[merged.length - 1] / 1e6);
    for (WebSocket socket : sockets) {
      socket.abort();
    }
  }

  static double ms(long[] sorted, double q) {
    return sorted.length == 0
        ? 0
        : sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1e6;
  }

  /** Records, per client, the latency of each version it receives in a patch. */
  static final class Receiver implements WebSocket.Listener {
    final long[] latencies;
    private final ConcurrentHashMap<Long, Long> committedAt;
    private final long first;
    private final long last;
    private final CountDownLatch finished;
    private final StringBuilder partial = new StringBuilder();
    private boolean done;

    Receiver(
        ConcurrentHashMap<Long, Long> committedAt, long first, long last, CountDownLatch finished) {
      this.committedAt = committedAt;
      this.first = first;
      this.last = last;
      this.finished = finished;
      this.latencies = new long[(int) (last - first + 1)];
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean lastPart) {
      long now = System.nanoTime();
      partial.append(data);
      if (!lastPart) {
        return null;
      }
      String text = partial.toString();
      partial.setLength(0);
      int at = text.indexOf("\"version\":");
      if (at < 0) {
        return null;
      }
      int start = at + "\"version\":".length();
      int end = start;
      while (end < text.length() && Character.isDigit(text.charAt(end))) {
        end++;
      }
      long version = Long.parseLong(text.substring(start, end));
      Long committed = committedAt.get(version);
      if (version >= first
          && version <= last
          && committed != null
          && text.startsWith("{\"type\":\"patch\"")) {
        latencies[(int) (version - first)] = Math.max(1, now - committed);
      }
      if (version >= last && !done) {
        done = true;
        finished.countDown();
      }
      return null;
    }
  }

  static void put(HttpClient http, String url, String body) {
    send(http, "PUT", url, body);
  }

  static int send(HttpClient http, String method, String url, String body) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(url))
                  .timeout(Duration.ofSeconds(30))
                  .header("Content-Type", "application/json")
                  .header("Prefer", "return=minimal")
                  .method(method, HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }
}
