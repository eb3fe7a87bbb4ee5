package dev.chord.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The live endpoint under load, from another process: many WebSocket clients on one selector thread
 * ({@link LiveClients}), a writer that {@code PATCH}es at a fixed rate, and the server's memory and
 * kernel queues read from outside ({@link ServerProbe}). One run, one JSON file of figures:
 *
 * <ol>
 *   <li>starts the fat jar on a free port ({@code --server-jar}; {@code -Xmx} from {@code --xmx})
 *       or uses a running server ({@code --url} and {@code --server-pid});
 *   <li>creates {@code --contexts} contexts, measures the server's heap after a full GC and its
 *       RSS;
 *   <li>connects {@code --readers} reading and {@code --stalled} never-reading clients, spread over
 *       the contexts, and measures again: the difference per connection is the cost of one;
 *   <li>writes {@code --rate} updates/s in all (round-robin over the contexts, each about {@code
 *       --payload} bytes of new text, {@code Prefer: return=minimal}) for {@code --warmup} seconds,
 *       then {@code --seconds} counted, sampling each second the readers' lag (the writer's send
 *       stamp to the message parsed by a client; from the newest stamp a message carries, and
 *       separately from its oldest: a patch that merged several versions carries each one's stamp,
 *       under a key of its own), the server's total Send-Q and its RSS, and the CPU used by the
 *       server, by this tool and by every other process on the machine;
 *   <li>waits for every reader to hold every context's last version, and reports what arrived, what
 *       was merged, any hole, and the server's {@code chord_live_closed_total} counts.
 * </ol>
 *
 * <pre>
 * java -cp chord-bench/target/benchmarks.jar dev.chord.bench.LiveLoad \
 *     --server-jar chord-server/target/chord-server.jar --name fanout --readers 1000 --contexts 1 \
 *     --rate 100 --seconds 20 --out bench/results/live-fanout.json
 * </pre>
 *
 * <p>{@code --deflate} offers {@code permessage-deflate} as browsers do ({@code plain}) or without
 * context takeover ({@code no-context-takeover}); the server negotiates it only when started with
 * {@code --ws-compression on} (pass it in {@code --server-args}).
 */
public final class LiveLoad {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Duration CONNECT_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration CATCH_UP = Duration.ofSeconds(20);

  private final Args args;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
  private final Recorder writeLatency = new Recorder(3_600_000_000L, 3);
  private final AtomicLong writesOk = new AtomicLong();
  private final AtomicLong writesFailed = new AtomicLong();
  private URI base;

  private LiveLoad(Args args) {
    this.args = args;
  }

  public static void main(String[] argv) throws Exception {
    run(argv);
    System.exit(0);
  }

  /**
   * One run with {@code argv}'s options, as {@link #main} makes it, without leaving the JVM: the
   * figures are written to {@code --out} and printed, and a server it started is stopped.
   */
  static void run(String... argv) throws Exception {
    new LiveLoad(new Args(argv)).measureAndWrite();
  }

  private void measureAndWrite() throws Exception {
    String jar = args.text("--server-jar", "");
    Process server = null;
    ServerProbe probe;
    Path log = Path.of(args.text("--server-log", "/dev/null"));
    List<String> serverCommand = List.of();
    if (!jar.isEmpty()) {
      int port = freePort();
      serverCommand = new ArrayList<>(List.of("java", "-Xmx" + args.text("--xmx", "2g")));
      String jvmArgs = args.text("--jvm-args", "").trim();
      if (!jvmArgs.isEmpty()) {
        serverCommand.addAll(Arrays.asList(jvmArgs.split("\\s+")));
      }
      serverCommand.add("-jar");
      serverCommand.addAll(
          List.of(
              jar,
              "--host",
              "127.0.0.1",
              "--port",
              Integer.toString(port),
              "--max-connections-per-ip",
              "1000000"));
      String extra = args.text("--server-args", "").trim();
      if (!extra.isEmpty()) {
        serverCommand.addAll(Arrays.asList(extra.split("\\s+")));
      }
      server =
          new ProcessBuilder(serverCommand)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      base = URI.create("http://127.0.0.1:" + port);
      probe = new ServerProbe(server.pid(), port);
    } else {
      base = URI.create(args.text("--url", "http://127.0.0.1:7070"));
      probe = new ServerProbe(Long.parseLong(args.text("--server-pid", "0")), base.getPort());
    }
    try {
      Map<String, Object> figures = measure(probe);
      figures.put("serverCommand", String.join(" ", serverCommand));
      Path out = Path.of(args.text("--out", "live.json"));
      if (out.getParent() != null) {
        Files.createDirectories(out.getParent());
      }
      JSON.writeValue(out.toFile(), figures);
      System.out.println(JSON.writeValueAsString(figures));
    } finally {
      if (server != null) {
        server.destroy();
        if (!server.waitFor(30, TimeUnit.SECONDS)) {
          server.destroyForcibly();
        }
      }
    }
  }

  private Map<String, Object> measure(ServerProbe probe) throws Exception {
    String name = args.text("--name", "live");
    int readers = args.integer("--readers", 100);
    int stalled = args.integer("--stalled", 0);
    int contexts = args.integer("--contexts", 1);
    double rate = args.decimal("--rate", 10);
    double seconds = args.decimal("--seconds", 10);
    double warmup = args.decimal("--warmup", 2);
    int payload = args.integer("--payload", 100);
    String format = args.text("--format", "chord");
    String deflate = args.text("--deflate", "off");
    String offer =
        switch (deflate) {
          case "off" -> null;
          case "plain" -> "permessage-deflate; client_max_window_bits";
          case "no-context-takeover" ->
              "permessage-deflate; client_no_context_takeover; server_no_context_takeover";
          default -> throw new IllegalArgumentException("--deflate off|plain|no-context-takeover");
        };
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("name", name);
    figures.put("date", Instant.now().toString());
    figures.put("machine", Machine.describe());
    figures.put("jdk", Machine.jdk());
    figures.put("loadBefore", Machine.loadAverage());
    figures.put(
        "settings",
        Map.of(
            "readers", readers,
            "stalled", stalled,
            "contexts", contexts,
            "rate", rate,
            "seconds", seconds,
            "warmup", warmup,
            "payload", payload,
            "format", format,
            "deflate", deflate));

    awaitHealthy();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < contexts; i++) {
      ids.add("load:" + i);
      send("PUT", "/contexts/load:" + i, update(payload, 0, 0));
    }
    figures.put("baseline", memory(probe));
    InetSocketAddress address = new InetSocketAddress(base.getHost(), base.getPort());
    try (LiveClients clients = new LiveClients(address, offer)) {
      long connectStart = System.nanoTime();
      for (int i = 0; i < contexts; i++) {
        String path = livePath(ids.get(i), format);
        clients.connect(LiveClients.Kind.READING, path, share(readers, contexts, i));
        clients.connect(LiveClients.Kind.STALLED, path, share(stalled, contexts, i));
      }
      awaitConnected(clients);
      double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
      LiveClients.Totals connected = clients.totals();
      Map<String, Object> afterConnect = memory(probe);
      afterConnect.put("seconds", round(connectSeconds));
      afterConnect.put("open", connected.open());
      afterConnect.put("failed", connected.failed());
      afterConnect.put("compressed", connected.compressed());
      ServerProbe.Sockets sockets = probe.sockets();
      afterConnect.put("sockets", sockets.count());
      afterConnect.put("socketsAtTb", tbCounts(sockets.tb()));
      afterConnect.put("healthMillis", healthMillis(20));
      int open = Math.max(1, connected.open());
      afterConnect.put(
          "heapPerConnection",
          ((long) afterConnect.get("heapAfterGc") - (long) baseline(figures, "heapAfterGc"))
              / open);
      afterConnect.put(
          "rssPerConnection",
          ((long) afterConnect.get("rss") - (long) baseline(figures, "rss")) / open);
      figures.put("connected", afterConnect);

      figures.put("run", write(clients, probe, ids, rate, warmup, seconds, payload));
      figures.put("catchUp", catchUp(clients, ids, format));
      figures.put("end", memory(probe));
      figures.put("closed", closedCounts());
    }
    figures.put("loadAfter", Machine.loadAverage());
    return figures;
  }

  @SuppressWarnings("unchecked")
  private static Object baseline(Map<String, Object> figures, String key) {
    return ((Map<String, Object>) figures.get("baseline")).get(key);
  }

  private static int share(int total, int parts, int index) {
    return total / parts + (index < total % parts ? 1 : 0);
  }

  private static String livePath(String id, String format) {
    return "/contexts/" + id + "/live?format=" + format;
  }

  /** The writer phase: warm-up, then the counted seconds with one sample per second. */
  private Map<String, Object> write(
      LiveClients clients,
      ServerProbe probe,
      List<String> ids,
      double rate,
      double warmup,
      double seconds,
      int payload)
      throws Exception {
    ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
    AtomicLong sequence = new AtomicLong();
    long period = Math.max(1, (long) (1e9 / rate));
    var unused =
        writer.scheduleAtFixedRate(
            () -> {
              long n = sequence.getAndIncrement();
              patch(
                  ids.get((int) (n % ids.size())),
                  update(payload, System.nanoTime(), n / ids.size()));
            },
            0,
            period,
            TimeUnit.NANOSECONDS);
    Thread.sleep((long) (warmup * 1000));
    long start = System.nanoTime();
    clients.recordStampsAfter(start);
    LiveClients.Totals before = clients.totals();
    writeLatency.reset();
    long okBefore = writesOk.get();
    double machineCpu = ServerProbe.machineCpuSeconds();
    double serverCpu = ServerProbe.cpuSeconds(probe.pid());
    double toolCpu = ServerProbe.cpuSeconds(ProcessHandle.current().pid());
    List<Map<String, Object>> samples = new ArrayList<>();
    long sendQueueMax = 0;
    double worstIntervalP99 = 0;
    for (int second = 1; second <= Math.ceil(seconds); second++) {
      long due = start + (long) (Math.min(second, seconds) * 1e9);
      Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
      Histogram interval = clients.takeIntervalLag();
      ServerProbe.Sockets sockets = probe.sockets();
      sendQueueMax = Math.max(sendQueueMax, sockets.sendQueueBytes());
      double p99 = millis(interval.getValueAtPercentile(99));
      if (interval.getTotalCount() > 0) {
        worstIntervalP99 = Math.max(worstIntervalP99, p99);
      }
      Map<String, Object> sample = new LinkedHashMap<>();
      sample.put("second", second);
      sample.put("lagSamples", interval.getTotalCount());
      sample.put("lagP99Millis", p99);
      sample.put("sendQueueBytes", sockets.sendQueueBytes());
      sample.put("largestSendQueue", sockets.largestSendQueue());
      sample.put("sockets", sockets.count());
      sample.put("finWait", sockets.finWait());
      sample.put("rss", probe.residentBytes());
      samples.add(sample);
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    double serverCores = (ServerProbe.cpuSeconds(probe.pid()) - serverCpu) / elapsed;
    double toolCores = (ServerProbe.cpuSeconds(ProcessHandle.current().pid()) - toolCpu) / elapsed;
    double allCores = (ServerProbe.machineCpuSeconds() - machineCpu) / elapsed;
    LiveClients.Totals after = clients.totals();
    Histogram lag = clients.lag();
    Histogram writes = writeLatency.getIntervalHistogram();
    long committed = writesOk.get() - okBefore;
    writer.shutdown();
    writer.awaitTermination(30, TimeUnit.SECONDS);

    Map<String, Object> run = new LinkedHashMap<>();
    run.put("seconds", round(elapsed));
    run.put("updatesPerSecond", round(committed / elapsed));
    run.put("writesFailed", writesFailed.get());
    run.put("patchP50Millis", millis(writes.getValueAtPercentile(50)));
    run.put("patchP99Millis", millis(writes.getValueAtPercentile(99)));
    run.put("messagesPerSecond", round((after.messages() - before.messages()) / elapsed));
    run.put("versionsPerSecond", round((after.versions() - before.versions()) / elapsed));
    run.put("merges", after.merges() - before.merges());
    run.put("holes", after.holes());
    run.put("lagSamples", lag.getTotalCount());
    run.put("lagP50Millis", millis(lag.getValueAtPercentile(50)));
    run.put("lagP99Millis", millis(lag.getValueAtPercentile(99)));
    run.put("lagMaxMillis", millis(lag.getMaxValue()));
    Histogram oldest = clients.oldestLag();
    run.put("oldestLagP50Millis", millis(oldest.getValueAtPercentile(50)));
    run.put("oldestLagP99Millis", millis(oldest.getValueAtPercentile(99)));
    run.put("oldestLagMaxMillis", millis(oldest.getMaxValue()));
    run.put("worstSecondLagP99Millis", worstIntervalP99);
    run.put("sendQueueMaxBytes", sendQueueMax);
    run.put("serverCores", round(serverCores));
    run.put("loadToolCores", round(toolCores));
    run.put("otherCores", round(Math.max(0, allCores - serverCores - toolCores)));
    run.put("wireBytes", after.wireBytes() - before.wireBytes());
    run.put("inflatedBytes", after.inflatedBytes() - before.inflatedBytes());
    run.put("samples", samples);
    return run;
  }

  /** Waits until every reader still open holds its context's last version. */
  private Map<String, Object> catchUp(LiveClients clients, List<String> ids, String format)
      throws Exception {
    Map<String, Long> versions = new LinkedHashMap<>();
    for (String id : ids) {
      JsonNode context = JSON.readTree(send("GET", "/contexts/" + id, null).body());
      versions.put(id, context.path("version").asLong());
    }
    long deadline = System.nanoTime() + CATCH_UP.toNanos();
    int behind;
    do {
      behind = 0;
      for (String id : ids) {
        behind += clients.behind(livePath(id, format), versions.get(id));
      }
      if (behind > 0) {
        Thread.sleep(100);
      }
    } while (behind > 0 && System.nanoTime() < deadline);
    LiveClients.Totals totals = clients.totals();
    Map<String, Object> catchUp = new LinkedHashMap<>();
    catchUp.put("readersBehind", behind);
    catchUp.put("open", totals.open());
    catchUp.put("closedByServer", totals.closedByServer());
    catchUp.put("holes", totals.holes());
    catchUp.put("lastVersions", versions.values().stream().mapToLong(Long::longValue).sum());
    return catchUp;
  }

  private Map<String, Object> memory(ServerProbe probe) throws IOException {
    Map<String, Object> memory = new LinkedHashMap<>();
    memory.put("heapAfterGc", probe.heapAfterGc());
    memory.put("rss", probe.residentBytes());
    return memory;
  }

  private static Map<String, Long> tbCounts(List<Long> tb) {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (long value : tb) {
      counts.merge(Long.toString(value), 1L, Long::sum);
    }
    return counts;
  }

  private double healthMillis(int times) throws Exception {
    double[] millis = new double[times];
    for (int i = 0; i < times; i++) {
      long start = System.nanoTime();
      send("GET", "/health", null);
      millis[i] = (System.nanoTime() - start) / 1e6;
    }
    Arrays.sort(millis);
    return round(millis[times / 2]);
  }

  private Map<String, Double> closedCounts() throws Exception {
    Map<String, Double> closed = new LinkedHashMap<>();
    HttpResponse<String> metrics = send("GET", "/metrics", null);
    for (String line : metrics.body().split("\n")) {
      if (line.startsWith("chord_live_closed_total{")) {
        int at = line.indexOf("reason=\"") + 8;
        String reason = line.substring(at, line.indexOf('"', at));
        double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        if (value > 0) {
          closed.put(reason, value);
        }
      }
    }
    return closed;
  }

  private void awaitHealthy() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        if (send("GET", "/health", null).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw notYet;
        }
      }
      Thread.sleep(200);
    }
  }

  private static void awaitConnected(LiveClients clients) throws InterruptedException {
    long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
    while (clients.pending() > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            clients.pending() + " clients still connecting after " + CONNECT_TIMEOUT);
      }
      Thread.sleep(100);
    }
  }

  /**
   * How many stamp keys an update cycles through: a patch merging up to this many versions still
   * carries every one's stamp, so the clients see its oldest (a longer span, under-reported, holds
   * only the newest {@value} of them).
   */
  static final int STAMP_KEYS = 100;

  /**
   * The {@code n}th update of a context: a send stamp ({@code @@<nanoTime>@@}, which the clients
   * read back) under a key of its own among {@link #STAMP_KEYS}, and {@code payload} characters of
   * new text, so that every delta is about that size.
   */
  static String update(int payload, long stamp, long n) {
    char[] pad = new char[payload];
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < payload; i++) {
      pad[i] = (char) ('a' + random.nextInt(26));
    }
    return "{\"sent"
        + n % STAMP_KEYS
        + "\":\"@@"
        + stamp
        + "@@\",\"pad\":\""
        + new String(pad)
        + "\"}";
  }

  private void patch(String id, String body) {
    long start = System.nanoTime();
    var unused =
        http.sendAsync(
                request("PATCH", "/contexts/" + id, body), HttpResponse.BodyHandlers.discarding())
            .whenComplete(
                (response, failure) -> {
                  if (failure == null && response.statusCode() == 200) {
                    writesOk.incrementAndGet();
                    writeLatency.recordValue((System.nanoTime() - start) / 1000);
                  } else {
                    writesFailed.incrementAndGet();
                  }
                });
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpResponse<String> response =
        http.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() >= 300) {
      throw new IOException(method + " " + path + " answered " + response.statusCode());
    }
    return response;
  }

  private HttpRequest request(String method, String path, String body) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Prefer", "return=minimal")
        .method(
            method,
            body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static double millis(long micros) {
    return round(micros / 1000.0);
  }

  private static double round(double value) {
    return Double.parseDouble(String.format(Locale.ROOT, "%.2f", value));
  }
}
