package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.redis.RedisBackend;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Redis half, apart from the JMH benchmarks: {@code redis-benchmark} PING and EVALSHA of a
 * trivial script at 1 and 16 clients (the server's ceiling with a C client), the round trips each
 * Chord operation makes (counted with {@code MONITOR}), and the original's scenarios on Redis.
 *
 * <pre>
 * java -cp chord-bench/target/benchmarks.jar dev.chord.bench.RedisRunner \
 *     --uri redis://127.0.0.1:6390 --results bench/results --runs 3 --warmup 0.5 --seconds 1
 * </pre>
 */
public final class RedisRunner {
  /** What this runner measured. */
  record Report(
      boolean available,
      String uri,
      String redisVersion,
      Map<String, Map<Integer, Double>> redisBenchmark,
      Map<String, Double> roundTripsPerOperation) {}

  private static final int[] CONCURRENCY = {1, 16};
  private static final int COUNTED_OPERATIONS = 200;
  private static final String MARKER = "chord-bench:";
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  private RedisRunner() {}

  public static void main(String[] args) throws Exception {
    Args parsed = new Args(args);
    String uri = parsed.text("--uri", "redis://127.0.0.1:6379");
    Path results = Path.of(parsed.text("--results", "bench/results"));
    int requests = parsed.integer("--requests", 50_000);
    ScenarioRunner.Settings settings =
        new ScenarioRunner.Settings(
            parsed.integer("--runs", 3),
            parsed.decimal("--jit-warmup", 3),
            parsed.decimal("--warmup", 1),
            parsed.decimal("--seconds", 2),
            parsed.integer("--callers", 8));

    RedisURI target = RedisURI.create(uri);
    RedisClient client = RedisClient.create(target);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      String sha = connection.sync().scriptLoad("return 1");
      Map<String, Map<Integer, Double>> ceiling = new LinkedHashMap<>();
      ceiling.put("PING", new LinkedHashMap<>());
      ceiling.put("EVALSHA", new LinkedHashMap<>());
      for (int clients : CONCURRENCY) {
        ceiling.get("PING").put(clients, redisBenchmark(target, clients, requests, "PING"));
        ceiling
            .get("EVALSHA")
            .put(clients, redisBenchmark(target, clients, requests, "EVALSHA", sha, "0"));
      }
      Map<String, Double> commands = roundTrips(target, uri, connection);
      String version = info(connection, "redis_version");
      ScenarioRunner.write(
          new Report(true, uri, version, ceiling, commands), results.resolve("redis.json"));
      System.out.printf("redis-benchmark: %s; round trips per operation: %s%n", ceiling, commands);
    } finally {
      client.shutdown();
    }

    ScenarioRunner.Report scenarios =
        ScenarioRunner.run(
            "Redis",
            () ->
                Chord.builder()
                    .backend(
                        RedisBackend.builder(uri)
                            .keyPrefix("chord-scenarios-" + PREFIXES.incrementAndGet())
                            .build())
                    .build(),
            settings);
    ScenarioRunner.write(scenarios, results.resolve("scenarios-redis.json"));
    ScenarioRunner.print(scenarios);
    if (scenarios.results().stream().anyMatch(ScenarioRunner.Result::lostUpdates)) {
      System.exit(2);
    }
  }

  /** Requests per second that {@code redis-benchmark} reaches with {@code command}. */
  private static double redisBenchmark(
      RedisURI target, int clients, int requests, String... command)
      throws IOException, InterruptedException {
    List<String> line =
        new ArrayList<>(
            List.of(
                "redis-benchmark",
                "-h",
                target.getHost(),
                "-p",
                Integer.toString(target.getPort()),
                "-c",
                Integer.toString(clients),
                "-n",
                Integer.toString(requests),
                "--csv"));
    line.addAll(List.of(command));
    Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
    List<String> output = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      reader.lines().forEach(output::add);
    }
    if (process.waitFor() != 0 || output.size() < 2) {
      throw new IOException("redis-benchmark failed: " + String.join("\n", output));
    }
    // CSV: "test","rps",...; the last line holds this command's figures.
    String[] fields = output.get(output.size() - 1).split("\",\"");
    return Double.parseDouble(fields[1].replace("\"", ""));
  }

  /**
   * Commands each Chord operation sends to Redis, counted with {@code MONITOR} (a {@code redis-cli}
   * subprocess): only commands from clients count, not those a Lua script runs inside the server.
   * Nothing is pipelined, so each is one round trip.
   */
  private static Map<String, Double> roundTrips(
      RedisURI target, String uri, StatefulRedisConnection<String, String> connection)
      throws IOException, InterruptedException {
    Process monitor =
        new ProcessBuilder(
                "redis-cli",
                "-h",
                target.getHost(),
                "-p",
                Integer.toString(target.getPort()),
                "monitor")
            .redirectErrorStream(true)
            .start();
    List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(monitor.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  started.countDown();
                  lines.add(line);
                  if (line.contains(MARKER + "done")) {
                    done.countDown();
                  }
                }
              } catch (IOException e) {
                done.countDown();
              }
            });
    reader.setDaemon(true);
    reader.start();
    try {
      if (!started.await(10, TimeUnit.SECONDS)) {
        throw new IOException("redis-cli monitor did not start");
      }
      try (Chord chord =
          Chord.builder()
              .backend(RedisBackend.builder(uri).keyPrefix("chord-round-trips").build())
              .build()) {
        chord.setContext("room", TeamRoom.room("room"));
        StatusChanges changes = new StatusChanges(TeamRoom.PARTICIPANTS, "");
        long version = 0;
        marker(connection, "updateContext");
        for (int i = 0; i < COUNTED_OPERATIONS; i++) {
          version = chord.updateContext("room", changes.next()).context().version();
        }
        Long tenBehind = version - 10;
        marker(connection, "syncContext (10 behind)");
        for (int i = 0; i < COUNTED_OPERATIONS; i++) {
          chord.syncContext("room", tenBehind);
        }
        marker(connection, "getContext");
        for (int i = 0; i < COUNTED_OPERATIONS; i++) {
          chord.getContext("room");
        }
        marker(connection, "done");
      }
      if (!done.await(30, TimeUnit.SECONDS)) {
        throw new IOException("redis-cli monitor lost the end marker");
      }
    } finally {
      monitor.destroy();
    }
    Map<String, Double> out = new LinkedHashMap<>();
    String current = null;
    long count = 0;
    synchronized (lines) {
      for (String line : lines) {
        int at = line.indexOf(MARKER);
        if (at >= 0) {
          if (current != null) {
            out.put(current, count / (double) COUNTED_OPERATIONS);
          }
          current = line.substring(at + MARKER.length(), line.indexOf('"', at));
          count = 0;
        } else if (current != null && line.contains("] \"") && !line.contains(" lua]")) {
          count++;
        }
      }
    }
    return out;
  }

  private static void marker(StatefulRedisConnection<String, String> connection, String name) {
    connection.sync().echo(MARKER + name);
  }

  private static String info(StatefulRedisConnection<String, String> connection, String field) {
    for (String line : connection.sync().info().split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1).trim();
      }
    }
    throw new IllegalStateException("INFO has no " + field);
  }
}
