package dev.chord.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.chord.Chord;
import dev.chord.jdbc.PostgresBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The PostgreSQL part, apart from the JMH benchmark ({@link PostgresBenchmark}, whose JSON it
 * reads): WAL bytes per one-field update of a 10,000-participant context next to those of the
 * floor's one-row UPDATE ({@code pg_current_wal_lsn()} difference over many updates), the
 * original's scenarios on {@link PostgresBackend}, and the "PostgreSQL" section of BENCHMARKS.md
 * (between its own markers, outside the generated part).
 *
 * <pre>
 * java -cp chord-bench/target/benchmarks.jar dev.chord.bench.PostgresRunner \
 *     --url 'jdbc:postgresql://127.0.0.1:5432/test?user=postgres' --results bench/results \
 *     --markdown BENCHMARKS.md --command "bench/run.sh quick" --runs 3 --warmup 0.5 --seconds 1
 * </pre>
 */
public final class PostgresRunner {
  static final MarkdownSection SECTION = new MarkdownSection("postgres");

  /** The floor, and the target: Chord at least this share of it. */
  private static final double TARGET_SHARE = 0.5;

  private static final int WAL_PARTICIPANTS = 10_000;
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  /** What this runner measured. */
  record Wal(
      String url,
      String serverVersion,
      int walUpdates,
      double walBytesPerUpdate,
      double walBytesPerFloorUpdate,
      long contextLeafRows,
      long contextStoredBytes) {}

  private PostgresRunner() {}

  public static void main(String[] args) throws Exception {
    Args parsed = new Args(args);
    String url = parsed.text("--url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    Path results = Path.of(parsed.text("--results", "bench/results"));
    Path markdown = Path.of(parsed.text("--markdown", "BENCHMARKS.md"));
    String command = parsed.text("--command", "bench/run.sh quick");
    int walUpdates = parsed.integer("--wal-updates", 2_000);
    String where = parsed.text("--where", "a PostgreSQL server");
    ScenarioRunner.Settings settings =
        new ScenarioRunner.Settings(
            parsed.integer("--runs", 3),
            parsed.decimal("--jit-warmup", 3),
            parsed.decimal("--warmup", 1),
            parsed.decimal("--seconds", 2),
            parsed.integer("--callers", 8));
    String loadBefore = Machine.loadAverage();

    Wal wal;
    ScenarioRunner.Report scenarios;
    List<String> prefixes = new ArrayList<>();
    try (HikariDataSource pool = PostgresBenchmark.pool(url, 12)) {
      wal = wal(pool, url, walUpdates);
      ScenarioRunner.write(wal, results.resolve("postgres.json"));
      System.out.printf(Locale.ROOT, "PostgreSQL WAL: %s%n", wal);
      scenarios =
          ScenarioRunner.run(
              "PostgreSQL",
              () -> {
                String prefix = "chord_scn_" + PREFIXES.incrementAndGet();
                prefixes.add(prefix);
                PostgresBackend backend =
                    PostgresBackend.builder(pool)
                        .tablePrefix(prefix)
                        .listenConnection(() -> PostgresBenchmark.connect(url))
                        .build();
                backend.createSchema();
                return Chord.builder().backend(backend).build();
              },
              settings);
      ScenarioRunner.write(scenarios, results.resolve("scenarios-postgres.json"));
      ScenarioRunner.print(scenarios);
      for (String prefix : prefixes) {
        drop(pool, prefix);
      }
      drop(pool, PostgresBenchmark.PREFIX);
      drop(pool, "chord_wal");
      try (Connection c = pool.getConnection();
          Statement s = c.createStatement()) {
        s.execute("drop table if exists chord_wal_floor");
      }
    }
    Map<String, Double> jmh = readJmh(results.resolve("jmh-postgres.json"));
    String section =
        section(wal, jmh, scenarios, command, where, settings, loadBefore, Machine.loadAverage());
    SECTION.write(markdown, section, false);
    if (scenarios.results().stream().anyMatch(ScenarioRunner.Result::lostUpdates)) {
      System.exit(2);
    }
  }

  /** WAL bytes per one-field update of a large context, and per floor UPDATE, on one server. */
  static Wal wal(HikariDataSource pool, String url, int updates) throws SQLException {
    String version = single(pool, "show server_version");
    String id = "wal:" + WAL_PARTICIPANTS;
    PostgresBackend backend =
        PostgresBackend.builder(pool)
            .tablePrefix("chord_wal")
            .listenConnection(() -> PostgresBenchmark.connect(url))
            .build();
    backend.createSchema();
    try (Chord chord = Chord.builder().backend(backend).build()) {
      chord.setContext(id, TeamRoom.room(id, WAL_PARTICIPANTS));
      StatusChanges changes = new StatusChanges(WAL_PARTICIPANTS, "w_");
      for (int i = 0; i < 200; i++) {
        chord.updateContext(id, changes.next());
      }
      long before = lsn(pool);
      for (int i = 0; i < updates; i++) {
        chord.updateContext(id, changes.next());
      }
      long after = lsn(pool);
      double perUpdate = (after - before) / (double) updates;

      try (Connection c = pool.getConnection();
          Statement s = c.createStatement()) {
        s.execute(
            "create table if not exists chord_wal_floor (id text primary key, version bigint)");
        s.execute("insert into chord_wal_floor values ('row', 0) on conflict (id) do nothing");
        s.execute("update chord_wal_floor set version = 0");
      }
      long floorVersion = 0;
      long floorBefore = lsn(pool);
      for (int i = 0; i < updates; i++) {
        try (Connection c = pool.getConnection();
            PreparedStatement s =
                c.prepareStatement(
                    "update chord_wal_floor set version = version + 1 where id = ? and version"
                        + " = ?")) {
          s.setString(1, "row");
          s.setLong(2, floorVersion++);
          if (s.executeUpdate() != 1) {
            throw new IllegalStateException("the floor row moved under its only caller");
          }
        }
      }
      double perFloor = (lsn(pool) - floorBefore) / (double) updates;

      long rows;
      long bytes;
      try (Connection c = pool.getConnection();
          PreparedStatement s =
              c.prepareStatement(
                  "select count(*), sum(octet_length(path) + octet_length(value))"
                      + " from chord_wal_leaves where id = ?")) {
        s.setString(1, id);
        try (ResultSet r = s.executeQuery()) {
          r.next();
          rows = r.getLong(1);
          bytes = r.getLong(2);
        }
      }
      return new Wal(url, version, updates, perUpdate, perFloor, rows, bytes);
    }
  }

  private static long lsn(HikariDataSource pool) throws SQLException {
    return Long.parseLong(
        single(pool, "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"));
  }

  private static String single(HikariDataSource pool, String sql) throws SQLException {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getString(1);
    }
  }

  private static void drop(HikariDataSource pool, String prefix) throws SQLException {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "drop table if exists "
              + prefix
              + "_contexts, "
              + prefix
              + "_leaves, "
              + prefix
              + "_deltas, "
              + prefix
              + "_floor cascade");
      for (String function : new String[] {"read", "commit", "restore", "delete", "trim"}) {
        s.execute("drop function if exists " + prefix + "_" + function);
      }
    }
  }

  /** Scores of {@link PostgresBenchmark} by method name, from JMH's JSON; empty if none. */
  static Map<String, Double> readJmh(Path file) throws IOException {
    Map<String, Double> scores = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return scores;
    }
    for (JsonNode run : new ObjectMapper().readTree(file.toFile())) {
      String name = run.path("benchmark").asText();
      scores.put(
          name.substring(name.lastIndexOf('.') + 1),
          run.path("primaryMetric").path("score").asDouble());
    }
    return scores;
  }

  static String section(
      Wal wal,
      Map<String, Double> jmh,
      ScenarioRunner.Report scenarios,
      String command,
      String where,
      ScenarioRunner.Settings settings,
      String loadBefore,
      String loadAfter) {
    StringBuilder out = new StringBuilder();
    out.append("## PostgreSQL\n\n");
    out.append("_Generated by `")
        .append(command)
        .append("` (its PostgreSQL part: `PostgresBenchmark` and `PostgresRunner`) on ")
        .append(Instant.now().toString(), 0, 10)
        .append(", ")
        .append(Machine.describe())
        .append(", ")
        .append(Machine.jdk())
        .append(". PostgreSQL ")
        .append(wal.serverVersion())
        .append(", ")
        .append(where)
        .append(". Load average before / after: ")
        .append(loadBefore)
        .append(" → ")
        .append(loadAfter)
        .append(
            ". The machine is shared with other builds: where the load is above its 2 cores the"
                + " figures are noisy, the ratios to the floor of the same run less so._\n\n");
    out.append(
        "Operations per second over all callers; each caller on its own 50-participant room."
            + " Floor: a transaction of one `UPDATE … SET version = version + 1 WHERE id = ? AND"
            + " version = ?` on one row per caller, a connection from the same HikariCP pool per"
            + " call, in the same JMH run. Round trips: one statement per update and per sync in"
            + " steady state (asserted by `PostgresBackendIT`).\n\n");
    out.append("| operation | 1 caller | 16 callers | share of the floor (1 / 16) |\n");
    out.append("|---|---:|---:|---:|\n");
    for (String[] op :
        new String[][] {
          {"Chord `updateContext` (one participant's status)", "update"},
          {
            "Chord `updateContext`, `notifyAfterCommit(true)` (NOTIFY in a second transaction)",
            "updateNotifyAfterCommit"
          },
          {"Chord `syncContext` (10 behind, with epoch)", "sync"},
          {"floor: one-row version-checked `UPDATE`", "floor"}
        }) {
      Optional<Double> one = Optional.ofNullable(jmh.get(op[1] + "1Caller"));
      Optional<Double> sixteen = Optional.ofNullable(jmh.get(op[1] + "16Callers"));
      out.append("| ")
          .append(op[0])
          .append(" | ")
          .append(one.map(Report::number).orElse("—"))
          .append(" | ")
          .append(sixteen.map(Report::number).orElse("—"))
          .append(" | ")
          .append(share(one, jmh.get("floor1Caller")))
          .append(" / ")
          .append(share(sixteen, jmh.get("floor16Callers")))
          .append(" |\n");
    }
    out.append('\n');
    out.append("Targets (issue 10: Chord ≥ 50% of the floor):\n\n");
    for (String op : List.of("update", "updateNotifyAfterCommit", "sync")) {
      for (String callers : List.of("1Caller", "16Callers")) {
        Double rate = jmh.get(op + callers);
        Double floor = jmh.get("floor" + callers);
        String verdict =
            rate == null || floor == null
                ? "not measured"
                : rate / floor >= TARGET_SHARE ? "met" : "**missed**";
        out.append("- ")
            .append(op)
            .append(", ")
            .append(callers.replace("1Caller", "1 caller").replace("16Callers", "16 callers"))
            .append(": ")
            .append(verdict)
            .append(" (")
            .append(share(Optional.ofNullable(rate), floor))
            .append(")\n");
      }
    }
    out.append('\n');
    out.append(
        String.format(
            Locale.ROOT,
            "WAL per one-field update of a %,d-participant context (%,d leaf rows, %,d bytes of"
                + " paths and values): **%,.0f bytes** (`pg_current_wal_lsn()` difference over"
                + " %,d updates after 200 unmeasured ones); the floor's one-row UPDATE: %,.0f"
                + " bytes. Storing the whole context per version would write at least its %,d"
                + " bytes.%n%n",
            WAL_PARTICIPANTS,
            wal.contextLeafRows(),
            wal.contextStoredBytes(),
            wal.walBytesPerUpdate(),
            wal.walUpdates(),
            wal.walBytesPerFloorUpdate(),
            wal.contextStoredBytes()));
    out.append("The original's scenarios on `PostgresBackend` (")
        .append(settings.runs())
        .append(" runs of ")
        .append(settings.seconds())
        .append(" s, ")
        .append(settings.callers())
        .append(" callers, medians; every iteration checked for lost updates):\n\n");
    out.append("| scenario | mode | iterations/s | calls/s | lost updates |\n");
    out.append("|---|---|---:|---:|---|\n");
    for (ScenarioRunner.Result r : scenarios.results()) {
      out.append("| ")
          .append(r.title())
          .append(" | ")
          .append(r.stateful() ? "stateful" : "stateless")
          .append(" | ")
          .append(Report.number(r.medianIterationsPerSecond()))
          .append(" | ")
          .append(Report.number(r.medianCallsPerSecond()))
          .append(" | ")
          .append(r.lostUpdates() ? "**LOST UPDATES**" : "none")
          .append(" |\n");
    }
    out.append('\n');
    return out.toString();
  }

  private static String share(Optional<Double> rate, Double floor) {
    return rate.isPresent() && floor != null && floor > 0
        ? String.format(Locale.ROOT, "%.0f%%", rate.get() / floor * 100)
        : "—";
  }
}
