package dev.chord.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.knowm.xchart.CategoryChart;

/**
 * The Redis part of the report: Chord on Redis next to the floor of its data layout (its own script
 * called with pre-built arguments, same run) and the server's and the client's ceiling.
 */
final class RedisSection {
  /** Receives a target row. */
  interface Targets {
    void target(String source, String target, String measured, Boolean met, double spread);
  }

  private static final double PING_SHARE = 0.8;

  private RedisSection() {}

  /** The chart of Chord on Redis next to its floor and the ceilings, at 1 and 16 callers. */
  static CategoryChart chart(JsonNode redis, List<Report.Jmh> jmh) {
    List<String> names =
        List.of(
            "Chord update",
            "floor: commit",
            "Chord sync",
            "floor: sync",
            "Lettuce PING",
            "Lettuce EVALSHA",
            "redis-bench. PING",
            "redis-bench. EVALSHA");
    CategoryChart chart =
        Plots.bars(
            "Redis: Chord next to its script's floor and the client's and the server's ceiling",
            "",
            "thousand operations per second",
            false);
    chart.getStyler().setDecimalPattern("#,##0.0");
    chart.getStyler().setXAxisLabelRotation(12);
    JsonNode ceiling = redis.path("redisBenchmark");
    for (String callers : List.of("1", "16")) {
      String suffix = callers.equals("1") ? "1Caller" : "16Callers";
      List<Double> values = new ArrayList<>();
      for (String method :
          List.of(
              "update", "commitScript", "sync", "syncScript", "lettucePing", "lettuceEvalsha")) {
        values.add(find(jmh, method + suffix).orElse(0.0) / 1000);
      }
      values.add(ceiling.path("PING").path(callers).asDouble() / 1000);
      values.add(ceiling.path("EVALSHA").path(callers).asDouble() / 1000);
      chart.addSeries(callers + (callers.equals("1") ? " caller" : " callers"), names, values);
    }
    return chart;
  }

  /**
   * Writes the section and its targets. {@code commandStats}: per benchmark ({@code
   * RedisBenchmark.<method>}), what the server counted during it, by command: {@code calls}, {@code
   * usecPerCall}.
   */
  static void write(
      JsonNode redis,
      List<Report.Jmh> jmh,
      Map<String, JsonNode> commandStats,
      StringBuilder out,
      Targets targets) {
    out.append("A private `redis-server` ")
        .append(redis.path("redisVersion").asText())
        .append(
            " on loopback, started for this run. Chord calls: `RedisBenchmark` (JMH), each caller ")
        .append(
            "on its own 50-participant room. The floor: the same JMH run calls Chord's own script ")
        .append(
            "(`chord.lua`) with pre-built arguments on one plain Lettuce connection, on rooms of the ")
        .append(
            "same shape: the commit of one participant's status (each call names the version the ")
        .append(
            "previous one stored, so it passes the version check and writes, as Chord's does) and a ")
        .append(
            "sync's history read, 10 behind; no Chord work, no codec: what this data layout can do ")
        .append(
            "on this machine (`RedisFloorArgumentsTest` checks, with `MONITOR`, that the floor sends ")
        .append(
            "what the backend sends). Lettuce PING/EVALSHA: the same connection; `redis-benchmark`: ")
        .append(
            "the C client, same server, same concurrency, right after. Operations per second over ")
        .append(
            "all callers; server µs per call: `INFO commandstats` during that benchmark (warm-up ")
        .append("included), of the command the row sends.\n\n");
    out.append(
        "| operation | 1 caller | 16 callers | server µs per call (1 / 16 callers) | round trips per op | original (1 caller) |\n");
    out.append("|---|---:|---:|---:|---:|---:|\n");
    JsonNode commands = redis.path("roundTripsPerOperation");
    String evalsha = "evalsha";
    row(
        out,
        jmh,
        commandStats,
        "Chord `updateContext` (one participant's status)",
        "update",
        evalsha,
        perOp(commands, "updateContext"),
        "~2,000");
    row(
        out,
        jmh,
        commandStats,
        "floor: `chord.lua` commit, pre-built arguments",
        "commitScript",
        evalsha,
        "1",
        "");
    row(
        out,
        jmh,
        commandStats,
        "Chord `syncContext` (10 behind)",
        "sync",
        evalsha,
        perOp(commands, "syncContext (10 behind)"),
        "~3,700");
    row(
        out,
        jmh,
        commandStats,
        "floor: `chord.lua` history read (a sync's), pre-built arguments",
        "syncScript",
        evalsha,
        "1",
        "");
    row(
        out,
        jmh,
        commandStats,
        "floor, commit through a Redis 7 function (`FCALL`)",
        "commitFunction",
        "fcall",
        "1",
        "");
    row(
        out,
        jmh,
        commandStats,
        "floor, history read through a Redis 7 function (`FCALL`)",
        "syncFunction",
        "fcall",
        "1",
        "");
    row(
        out,
        jmh,
        commandStats,
        "Chord `getContext` (a context this node knows)",
        "get",
        evalsha,
        perOp(commands, "getContext"),
        "");
    row(
        out,
        jmh,
        commandStats,
        "Lettuce `PING` (the client's ceiling)",
        "lettucePing",
        "ping",
        "1",
        "");
    row(
        out,
        jmh,
        commandStats,
        "Lettuce `EVALSHA` of `return 1`",
        "lettuceEvalsha",
        evalsha,
        "1",
        "");
    JsonNode ceiling = redis.path("redisBenchmark");
    out.append("| `redis-benchmark` `PING` | ")
        .append(Report.number(ceiling.path("PING").path("1").asDouble()))
        .append(" | ")
        .append(Report.number(ceiling.path("PING").path("16").asDouble()))
        .append(" | | 1 | |\n");
    out.append("| `redis-benchmark` `EVALSHA` of `return 1` | ")
        .append(Report.number(ceiling.path("EVALSHA").path("1").asDouble()))
        .append(" | ")
        .append(Report.number(ceiling.path("EVALSHA").path("16").asDouble()))
        .append(" | | 1 | |\n\n");
    out.append(
            "Round trips are the commands the client sent, counted with `MONITOR` (commands that ")
        .append("Lua scripts run inside Redis excluded; nothing is pipelined).\n\n");

    pingTargets(jmh, ceiling, targets);
    String update = "`updateContext`";
    floorTarget(jmh, commandStats, targets, update, "update", "1Caller", "commitScript", 0.7);
    floorTarget(jmh, commandStats, targets, update, "update", "16Callers", "commitScript", 0.6);
    String sync = "`syncContext` (10 behind)";
    floorTarget(jmh, commandStats, targets, sync, "sync", "1Caller", "syncScript", 0.7);
    Optional<Report.Jmh> get = result(jmh, "get1Caller");
    Optional<Report.Jmh> ping = result(jmh, "lettucePing1Caller");
    String target = "Redis `getContext` of a known context, 1 caller, ≥ 80% of Lettuce PING";
    if (get.isEmpty() || ping.isEmpty()) {
      targets.target("issue 12", target, "a benchmark is missing from this run", null, 0);
    } else {
      double share = get.get().score() / ping.get().score();
      targets.target(
          "issue 12",
          target,
          String.format(
              Locale.ROOT,
              "%s/s = %.0f%% of %s/s (server: %s µs per EVALSHA, %s µs per PING)",
              Report.number(get.get().score()),
              share * 100,
              Report.number(ping.get().score()),
              micros(commandStats, "get1Caller", evalsha),
              micros(commandStats, "lettucePing1Caller", "ping")),
          share >= PING_SHARE,
          Math.max(Report.spread(get.get()), Report.spread(ping.get())));
    }
  }

  /** Issue 5's: single-caller update and sync at 80% of the client's own PING rate. */
  private static void pingTargets(List<Report.Jmh> jmh, JsonNode ceiling, Targets targets) {
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
            share >= PING_SHARE,
            Math.max(Report.spread(rateResult.get()), Report.spread(pingResult.get())));
      }
    }
  }

  /**
   * Issue 12's: Chord's {@code method} ({@code label}) at {@code share} or more of its script's
   * floor, {@code floorMethod}, both with {@code callers}.
   */
  private static void floorTarget(
      List<Report.Jmh> jmh,
      Map<String, JsonNode> commandStats,
      Targets targets,
      String label,
      String method,
      String callers,
      String floorMethod,
      double share) {
    String target =
        String.format(
            Locale.ROOT,
            "Redis %s, %s, ≥ %.0f%% of the %s floor",
            label,
            callers.equals("1Caller") ? "1 caller" : "16 callers",
            share * 100,
            floorMethod.equals("commitScript") ? "commit-script" : "sync-script");
    Optional<Report.Jmh> chord = result(jmh, method + callers);
    Optional<Report.Jmh> floor = result(jmh, floorMethod + callers);
    if (chord.isEmpty() || floor.isEmpty()) {
      targets.target("issue 12", target, "a benchmark is missing from this run", null, 0);
      return;
    }
    double measured = chord.get().score() / floor.get().score();
    targets.target(
        "issue 12",
        target,
        String.format(
            Locale.ROOT,
            "%s/s = %.0f%% of the floor's %s/s (server: %s µs per EVALSHA, floor %s µs)",
            Report.number(chord.get().score()),
            measured * 100,
            Report.number(floor.get().score()),
            micros(commandStats, method + callers, "evalsha"),
            micros(commandStats, floorMethod + callers, "evalsha")),
        measured >= share,
        Math.max(Report.spread(chord.get()), Report.spread(floor.get())));
  }

  /**
   * The floor of one of the original's scenarios on Redis, in Chord calls per second: the same
   * run's commit- and sync-script floors, weighted by the scenario's mix of writes (a set counted
   * as a commit, though it writes the whole room) and syncs; at 1 caller when every call waits for
   * the one before (stateful, one room), else at 16. Empty without the floors.
   */
  static Optional<Double> scenarioFloor(
      List<Report.Jmh> jmh, Scenarios.Kind kind, boolean stateful) {
    String callers = stateful && kind.rooms == 1 ? "1Caller" : "16Callers";
    Optional<Double> commit = find(jmh, "commitScript" + callers);
    Optional<Double> sync = find(jmh, "syncScript" + callers);
    if (commit.isEmpty() || sync.isEmpty()) {
      return Optional.empty();
    }
    // Scenarios.plan: action i syncs when i mod 3 is 2.
    int syncs = 0;
    for (int i = 1; i <= kind.actionsPerRoom; i++) {
      syncs += i % 3 == 2 ? 1 : 0;
    }
    double calls = 1 + kind.actionsPerRoom;
    double writes = calls - syncs;
    return Optional.of(calls / (writes / commit.get() + syncs / sync.get()));
  }

  private static void row(
      StringBuilder out,
      List<Report.Jmh> jmh,
      Map<String, JsonNode> commandStats,
      String name,
      String method,
      String command,
      String roundTrips,
      String original) {
    String one = method + "1Caller";
    String sixteen = method + "16Callers";
    out.append("| ")
        .append(name)
        .append(" | ")
        .append(find(jmh, one).map(Report::number).orElse("—"))
        .append(" | ")
        .append(find(jmh, sixteen).map(Report::number).orElse("—"))
        .append(" | ")
        .append(micros(commandStats, one, command))
        .append(" / ")
        .append(micros(commandStats, sixteen, command))
        .append(" | ")
        .append(roundTrips)
        .append(" | ")
        .append(original)
        .append(" |\n");
  }

  /** The server's µs per call of {@code command} during benchmark {@code method}, or "—". */
  private static String micros(Map<String, JsonNode> commandStats, String method, String command) {
    JsonNode stats = commandStats.get("RedisBenchmark." + method);
    JsonNode value = stats == null ? null : stats.path(command).get("usecPerCall");
    if (value == null) {
      return "—";
    }
    double micros = value.asDouble();
    return String.format(Locale.ROOT, micros < 10 ? "%.2f" : "%.1f", micros);
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
