package dev.chord.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.knowm.xchart.CategoryChart;

/** The Redis part of the report: Chord on Redis next to the server's and the client's ceiling. */
final class RedisSection {
  /** Receives a target row. */
  interface Targets {
    void target(String source, String target, String measured, Boolean met, double spread);
  }

  private static final double TARGET_SHARE = 0.8;

  private RedisSection() {}

  /** The chart of Chord on Redis next to the ceilings, at 1 and 16 callers. */
  static CategoryChart chart(JsonNode redis, List<Report.Jmh> jmh) {
    List<String> names =
        List.of(
            "Chord update",
            "Chord sync",
            "Lettuce PING",
            "Lettuce EVALSHA",
            "redis-bench. PING",
            "redis-bench. EVALSHA");
    CategoryChart chart =
        Plots.bars(
            "Redis: Chord next to the client's and the server's ceiling",
            "",
            "thousand operations per second",
            false);
    chart.getStyler().setDecimalPattern("#,##0.0");
    chart.getStyler().setXAxisLabelRotation(12);
    JsonNode ceiling = redis.path("redisBenchmark");
    for (String callers : List.of("1", "16")) {
      String suffix = callers.equals("1") ? "1Caller" : "16Callers";
      List<Double> values = new ArrayList<>();
      for (String method : List.of("update", "sync", "lettucePing", "lettuceEvalsha")) {
        values.add(find(jmh, method + suffix).orElse(0.0) / 1000);
      }
      values.add(ceiling.path("PING").path(callers).asDouble() / 1000);
      values.add(ceiling.path("EVALSHA").path(callers).asDouble() / 1000);
      chart.addSeries(callers + (callers.equals("1") ? " caller" : " callers"), names, values);
    }
    return chart;
  }

  static void write(JsonNode redis, List<Report.Jmh> jmh, StringBuilder out, Targets targets) {
    out.append("A private `redis-server` ")
        .append(redis.path("redisVersion").asText())
        .append(
            " on loopback, started for this run. Chord calls: `RedisBenchmark` (JMH), each caller ")
        .append(
            "on its own 50-participant room; Lettuce PING/EVALSHA: the same client library on one ")
        .append(
            "shared connection, in the same JMH run; `redis-benchmark`: the C client, same server, ")
        .append("same concurrency, right after. Operations per second over all callers.\n\n");
    out.append(
        "| operation | 1 caller | 16 callers | round trips per op | original (1 caller) |\n");
    out.append("|---|---:|---:|---:|---:|\n");
    JsonNode commands = redis.path("roundTripsPerOperation");
    row(
        out,
        "Chord `updateContext` (one participant's status)",
        find(jmh, "update1Caller"),
        find(jmh, "update16Callers"),
        perOp(commands, "updateContext"),
        "~2,000");
    row(
        out,
        "Chord `syncContext` (10 behind)",
        find(jmh, "sync1Caller"),
        find(jmh, "sync16Callers"),
        perOp(commands, "syncContext (10 behind)"),
        "~3,700");
    row(
        out,
        "Lettuce `PING` (the client's ceiling)",
        find(jmh, "lettucePing1Caller"),
        find(jmh, "lettucePing16Callers"),
        "1",
        "");
    row(
        out,
        "Lettuce `EVALSHA` of `return 1`",
        find(jmh, "lettuceEvalsha1Caller"),
        find(jmh, "lettuceEvalsha16Callers"),
        "1",
        "");
    JsonNode ceiling = redis.path("redisBenchmark");
    out.append("| `redis-benchmark` `PING` | ")
        .append(Report.number(ceiling.path("PING").path("1").asDouble()))
        .append(" | ")
        .append(Report.number(ceiling.path("PING").path("16").asDouble()))
        .append(" | 1 | |\n");
    out.append("| `redis-benchmark` `EVALSHA` of `return 1` | ")
        .append(Report.number(ceiling.path("EVALSHA").path("1").asDouble()))
        .append(" | ")
        .append(Report.number(ceiling.path("EVALSHA").path("16").asDouble()))
        .append(" | 1 | |\n\n");
    out.append("`getContext` makes ")
        .append(perOp(commands, "getContext"))
        .append(
            " round trips per call. Round trips are the commands the client sent, counted with ")
        .append(
            "`MONITOR` (commands that Lua scripts run inside Redis excluded; nothing is pipelined).\n\n");

    Optional<Report.Jmh> pingResult = result(jmh, "lettucePing1Caller");
    Optional<Double> ping = pingResult.map(Report.Jmh::score);
    double benchmarkPing = ceiling.path("PING").path("1").asDouble();
    for (String[] op : new String[][] {{"update1Caller", "update"}, {"sync1Caller", "sync"}}) {
      Optional<Report.Jmh> rateResult = result(jmh, op[0]);
      Optional<Double> rate = rateResult.map(Report.Jmh::score);
      if (rate.isPresent() && ping.isPresent()) {
        double share = rate.get() / ping.get();
        targets.target(
            "issue 5",
            "Redis single-caller " + op[1] + " ≥ 80% of the client's own PING rate",
            String.format(
                Locale.ROOT,
                "%s/s = %.0f%% of Lettuce PING %s/s (%.0f%% of redis-benchmark PING %s/s)",
                Report.number(rate.get()),
                share * 100,
                Report.number(ping.get()),
                rate.get() / benchmarkPing * 100,
                Report.number(benchmarkPing)),
            share >= TARGET_SHARE,
            Math.max(Report.spread(rateResult.get()), Report.spread(pingResult.get())));
      }
    }
  }

  private static void row(
      StringBuilder out,
      String name,
      Optional<Double> one,
      Optional<Double> sixteen,
      String commands,
      String original) {
    out.append("| ")
        .append(name)
        .append(" | ")
        .append(one.map(Report::number).orElse("—"))
        .append(" | ")
        .append(sixteen.map(Report::number).orElse("—"))
        .append(" | ")
        .append(commands)
        .append(" | ")
        .append(original)
        .append(" |\n");
  }

  private static String perOp(JsonNode commands, String operation) {
    JsonNode value = commands.path(operation);
    return value.isMissingNode() ? "—" : String.format(Locale.ROOT, "%.2f", value.asDouble());
  }

  private static Optional<Double> find(List<Report.Jmh> jmh, String method) {
    return result(jmh, method).map(Report.Jmh::score);
  }

  private static Optional<Report.Jmh> result(List<Report.Jmh> jmh, String method) {
    return jmh.stream().filter(r -> r.benchmark().equals("RedisBenchmark." + method)).findFirst();
  }
}
