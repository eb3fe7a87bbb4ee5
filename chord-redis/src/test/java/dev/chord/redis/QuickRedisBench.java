package dev.chord.redis;

import dev.chord.Chord;
import dev.chord.spi.Snapshots;
import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import dev.chord.testsupport.Services;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * A quick, JMH-free measurement of the Redis backend next to redis-benchmark on the same server (a
 * redis-server of its own on a free port). Not a test; run with
 *
 * <pre>
 * mvn -B -q -pl chord-redis test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.chord.redis.QuickRedisBench
 * </pre>
 *
 * Prints Markdown table rows. Proper JMH benchmarks belong in chord-bench.
 */
public final class QuickRedisBench {
  private static final int PARTICIPANTS = 10_000;
  private static final long PHASE_NANOS = 3_000_000_000L;

  private QuickRedisBench() {}

  public static void main(String[] args) throws Exception {
    try (RedisServer server = RedisServers.own()) {
      String port = Integer.toString(server.port());
      System.out.println("| what | callers | ops/s |");
      System.out.println("| --- | ---: | ---: |");
      for (int callers : new int[] {1, 16}) {
        String c = Integer.toString(callers);
        row("redis-benchmark PING", callers, benchmark(port, c, "PING"));
        String sha =
            Services.run(List.of("redis-cli", "-p", port, "SCRIPT", "LOAD", "return 1"), 10)
                .strip();
        row(
            "redis-benchmark EVALSHA of `return 1`",
            callers,
            benchmark(port, c, "EVALSHA", sha, "0"));
        try (Chord chord = Chord.builder().backend(connect(server)).build()) {
          List<String> ids = new ArrayList<>();
          for (int i = 0; i < callers; i++) {
            String id = "bench-" + callers + "-" + i;
            chord.setContext(id, room());
            ids.add(id);
          }
          row(
              "Chord.updateContext, one participant's status",
              callers,
              run(callers, (t, i) -> chord.updateContext(ids.get(t), change(i))));
          long[] versions = new long[callers];
          for (int t = 0; t < callers; t++) {
            versions[t] = chord.getContext(ids.get(t)).orElseThrow().version();
          }
          row(
              "Chord.syncContext, 1 version behind (Patch)",
              callers,
              run(callers, (t, i) -> chord.syncContext(ids.get(t), versions[t] - 1)));
          row(
              "Chord.syncContext, current (NoChange)",
              callers,
              run(callers, (t, i) -> chord.syncContext(ids.get(t), versions[t])));
        }
      }
      bytesPerUpdate(server, port);
      for (int i = 0; i < 5; i++) {
        try (RedisBackend cold = connect(server)) {
          long start = System.nanoTime();
          var unused = cold.get("bytes").orElseThrow();
          System.out.printf(
              "full read of the %d-participant context: %.1f ms%n",
              PARTICIPANTS, (System.nanoTime() - start) / 1e6);
        }
      }
      for (String line :
          Services.run(List.of("redis-cli", "-p", port, "INFO", "commandstats"), 10)
              .split("\r?\n")) {
        if (line.startsWith("cmdstat_")) {
          System.out.println("server: " + line);
        }
      }
    }
  }

  /** A generous timeout: the machine is shared, and a full read of a large context is slow. */
  private static RedisBackend connect(RedisServer server) {
    return RedisBackend.builder(server.uri()).timeout(java.time.Duration.ofSeconds(10)).build();
  }

  private static Map<String, Object> room() {
    Map<String, Object> participants = new HashMap<>();
    for (int p = 0; p < PARTICIPANTS; p++) {
      participants.put("user" + p, Map.of("status", "active", "name", "User " + p));
    }
    return Map.of("topic", "bench", "participants", participants);
  }

  private static Map<String, Object> change(long i) {
    return Map.of("participants", Map.of("user" + (i % PARTICIPANTS), Map.of("status", "s" + i)));
  }

  private interface Op {
    void run(int thread, long iteration) throws Exception;
  }

  private static double run(int callers, Op op) throws Exception {
    for (int t = 0; t < callers; t++) {
      for (long i = 0; i < 200; i++) {
        op.run(t, i);
      }
    }
    LongAdder done = new LongAdder();
    CountDownLatch finished = new CountDownLatch(callers);
    long start = System.nanoTime();
    List<Throwable> errors = new ArrayList<>();
    for (int t = 0; t < callers; t++) {
      int thread = t;
      new Thread(
              () -> {
                try {
                  for (long i = 0; System.nanoTime() - start < PHASE_NANOS; i++) {
                    op.run(thread, i);
                    done.increment();
                  }
                } catch (Throwable e) {
                  synchronized (errors) {
                    errors.add(e);
                  }
                } finally {
                  finished.countDown();
                }
              })
          .start();
    }
    finished.await();
    if (!errors.isEmpty()) {
      throw new IllegalStateException(errors.get(0));
    }
    return done.sum() / ((System.nanoTime() - start) / 1e9);
  }

  private static double benchmark(String port, String callers, String... command) throws Exception {
    List<String> line =
        new ArrayList<>(
            List.of("redis-benchmark", "-p", port, "-n", "100000", "-c", callers, "-q"));
    line.addAll(List.of(command));
    String out = Services.run(line, 120);
    // "PING: 43478.26 requests per second, p50=…" (after \r progress lines)
    String last = out.substring(out.lastIndexOf('\r') + 1).strip();
    String number = last.substring(last.indexOf(':') + 1, last.indexOf("requests")).strip();
    return Double.parseDouble(number);
  }

  private static void bytesPerUpdate(RedisServer server, String port) throws Exception {
    try (Chord chord = Chord.builder().backend(connect(server)).build()) {
      Map<String, Object> room = room();
      chord.setContext("bytes", room);
      int n = 1000;
      long before = inputBytes(port);
      for (int i = 0; i < n; i++) {
        chord.updateContext("bytes", change(i));
      }
      long perUpdate = (inputBytes(port) - before) / n;
      long contextJson = JsonCodec.VALUES.write(Snapshots.freeze(room)).length();
      System.out.println();
      System.out.println(
          "Bytes sent to Redis per one-field update of a "
              + PARTICIPANTS
              + "-participant context (Chord.updateContext, all protocol overhead): "
              + perUpdate
              + " B; the context as one JSON document: "
              + contextJson
              + " B.");
    }
  }

  private static long inputBytes(String port) throws Exception {
    String info = Services.run(List.of("redis-cli", "-p", port, "INFO", "stats"), 10);
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("total_net_input_bytes:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
      }
    }
    throw new IllegalStateException("no total_net_input_bytes in INFO stats");
  }

  private static void row(String what, int callers, double opsPerSecond) {
    System.out.printf("| %s | %d | %,.0f |%n", what, callers, opsPerSecond);
  }
}
