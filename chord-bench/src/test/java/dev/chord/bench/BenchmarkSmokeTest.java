package dev.chord.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.ContextUpdate;
import dev.chord.redis.RedisBackend;
import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Keeps the benchmarks from rotting: every JMH benchmark runs one very short iteration in this JVM,
 * every scenario runs briefly with its lost-update check, and the report is generated from the
 * results. Nothing here judges speed.
 */
class BenchmarkSmokeTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "UpdateBenchmark",
        "SyncBenchmark",
        "SetContextBenchmark",
        "DeltaBenchmark",
        "ContentionBenchmark"
      })
  void benchmark_oneShortIteration_producesAScore(String benchmark) throws Exception {
    Collection<RunResult> results = new Runner(smoke(benchmark).build()).run();

    assertThat(results).isNotEmpty();
    assertThat(results)
        .allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive().isFinite());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"SINGLE:stateless", "SINGLE:stateful", "MULTI:stateless", "MULTI:stateful"})
  void scenario_shortRun_losesNothing(String which) throws Exception {
    String[] parts = which.split(":");
    ScenarioRunner.Result result =
        ScenarioRunner.scenario(
            Scenarios.Kind.valueOf(parts[0]),
            parts[1].equals("stateful"),
            Chord::inMemory,
            new ScenarioRunner.Settings(1, 0, 0, 0.05, 4));

    assertThat(result.lostUpdates()).as("%s", result.runs()).isFalse();
    assertThat(result.runs())
        .singleElement()
        .satisfies(
            run -> {
              assertThat(run.iterations()).isPositive();
              assertThat(run.roomsChecked()).isPositive();
            });
  }

  @Test
  void redis_benchmarksScenariosAndReport_runOnAPrivateServer(@TempDir Path dir) throws Exception {
    Path results = dir.resolve("results");
    Files.createDirectories(results);
    try (RedisServer redis = RedisServers.own()) {
      Collection<RunResult> runs =
          new Runner(
                  smoke("RedisBenchmark")
                      .param("redisUri", redis.uri())
                      .param("commandStats", results.resolve("redis-commandstats.jsonl").toString())
                      .result(results.resolve("jmh-redis.json").toString())
                      .resultFormat(ResultFormatType.JSON)
                      .build())
              .run();
      assertThat(runs).hasSize(15);
      assertThat(runs)
          .allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive().isFinite());

      ScenarioRunner.Report scenarios =
          ScenarioRunner.run(
              "Redis",
              () -> Chord.builder().backend(RedisBackend.connect(redis.uri())).build(),
              new ScenarioRunner.Settings(1, 0, 0, 0.05, 4));
      assertThat(scenarios.results()).hasSize(4).noneMatch(ScenarioRunner.Result::lostUpdates);
      ScenarioRunner.write(scenarios, results.resolve("scenarios-redis.json"));
      ScenarioRunner.write(
          new RedisRunner.Report(true, redis.uri(), "test", Map.of(), Map.of()),
          results.resolve("redis.json"));
    }
    Path markdown = dir.resolve("BENCHMARKS.md");
    Files.writeString(markdown, Report.SECTION.begin() + "\n" + Report.SECTION.end() + "\n");

    Report.main(
        new String[] {
          "--results", results.toString(),
          "--plots", dir.resolve("plots").toString(),
          "--markdown", markdown.toString(),
          "--command", "smoke"
        });

    String text = Files.readString(markdown);
    assertThat(text)
        .contains("| vs original | vs Redis floor |", "% of the floor", "floor: `chord.lua` commit")
        .contains(
            "Redis `updateContext`, 1 caller, ≥ 70% of the commit-script floor",
            "Redis `updateContext`, 16 callers, ≥ 60% of the commit-script floor",
            "Redis `syncContext` (10 behind), 1 caller, ≥ 70% of the sync-script floor",
            "Redis `getContext` of a known context, 1 caller, ≥ 80% of Lettuce PING",
            "µs per EVALSHA")
        .doesNotContain("| 0× |", "a benchmark is missing");
    assertThat(text.lines().filter(l -> l.contains("stateless | Redis |")))
        .hasSize(2)
        .allMatch(l -> l.contains("| — | ") && l.contains("calls/s |"));
  }

  @Test
  void lostUpdateCheck_finalStateMissingAnUpdate_reportsIt() {
    try (Chord chord = Chord.inMemory()) {
      ContextUpdate set = chord.setContext("room", TeamRoom.room("room"));
      ContextUpdate first = chord.updateContext("room", TeamRoom.statusChange("user_1", "s1"));
      Context afterFirst = first.context();
      ContextUpdate second = chord.updateContext("room", TeamRoom.statusChange("user_2", "s2"));
      List<Scenarios.Action> actions =
          List.of(
              new Scenarios.Action(1, "user_1", "status", "s1", first),
              new Scenarios.Action(1, "user_2", "status", "s2", second));

      Scenarios.RoomRun intact =
          new Scenarios.RoomRun("room", set, actions, chord.getContext("room").orElseThrow());
      // As if the second update had been overwritten by a writer that never saw it.
      Scenarios.RoomRun lost =
          new Scenarios.RoomRun(
              "room",
              set,
              actions,
              new Context("room", second.context().version(), afterFirst.data(), 0));

      assertThat(LostUpdateCheck.problems(intact, true)).isEmpty();
      assertThat(LostUpdateCheck.problems(lost, true))
          .anyMatch(p -> p.contains("lost user_2.status"));
    }
  }

  @Test
  void lostUpdateCheck_reusedVersion_reportsIt() {
    try (Chord chord = Chord.inMemory()) {
      ContextUpdate set = chord.setContext("room", TeamRoom.room("room"));
      ContextUpdate first = chord.updateContext("room", TeamRoom.statusChange("user_1", "s1"));
      ContextUpdate second = chord.updateContext("room", TeamRoom.statusChange("user_2", "s2"));
      ContextUpdate reused =
          new ContextUpdate(
              new Context("room", first.context().version(), second.context().data(), 0),
              second.delta(),
              true);
      List<Scenarios.Action> actions =
          List.of(
              new Scenarios.Action(1, "user_1", "status", "s1", first),
              new Scenarios.Action(1, "user_2", "status", "s2", reused));

      Scenarios.RoomRun run =
          new Scenarios.RoomRun("room", set, actions, chord.getContext("room").orElseThrow());

      assertThat(LostUpdateCheck.problems(run, true)).anyMatch(p -> p.contains("not contiguous"));
    }
  }

  @Test
  void report_fromSmokeResults_writesTablesAndPlotsAndKeepsHandWrittenSections(@TempDir Path dir)
      throws Exception {
    Path results = dir.resolve("results");
    Files.createDirectories(results);
    new Runner(
            smoke("UpdateBenchmark|SyncBenchmark")
                .addProfiler(CpuTimeProfiler.class)
                .result(results.resolve("jmh.json").toString())
                .resultFormat(ResultFormatType.JSON)
                .build())
        .run();
    ScenarioRunner.write(
        ScenarioRunner.run(
            "in-memory", Chord::inMemory, new ScenarioRunner.Settings(1, 0, 0, 0.05, 4)),
        results.resolve("scenarios-memory.json"));
    System.setProperty("jol.magicFieldOffset", "true");
    ScenarioRunner.write(MemoryFootprint.measure(5, 200), results.resolve("memory.json"));
    Path markdown = dir.resolve("BENCHMARKS.md");
    Files.writeString(
        markdown,
        Report.SECTION.begin()
            + "\nold\n"
            + Report.SECTION.end()
            + "\n\n## chord-redis\nhand-written\n");

    Report.main(
        new String[] {
          "--results",
          results.toString(),
          "--plots",
          dir.resolve("plots").toString(),
          "--markdown",
          markdown.toString(),
          "--command",
          "smoke"
        });

    String text = Files.readString(markdown);
    assertThat(text)
        .startsWith(Report.SECTION.begin())
        .contains("## Targets", "UpdateBenchmark", "scenario 1", "one stored delta", "CPU time")
        .doesNotContain("\nold\n")
        .endsWith(Report.SECTION.end() + "\n\n## chord-redis\nhand-written\n");
    assertThat(dir.resolve("plots/update-scaling.png")).isNotEmptyFile();
    assertThat(dir.resolve("plots/sync.png")).isNotEmptyFile();
    assertThat(dir.resolve("plots/scenarios.png")).isNotEmptyFile();
  }

  private static OptionsBuilder smoke(String benchmarks) {
    OptionsBuilder options = new OptionsBuilder();
    options
        .include("dev\\.chord\\.bench\\.(" + benchmarks + ")\\.")
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .forks(0)
        .verbosity(VerboseMode.SILENT)
        .shouldFailOnError(true);
    return options;
  }
}
