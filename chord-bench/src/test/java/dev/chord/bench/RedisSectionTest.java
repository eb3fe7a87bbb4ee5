package dev.chord.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Redis part of the report, from fixed figures: table rows, the PING and floor targets. */
class RedisSectionTest {
  private static final String REDIS_JSON =
      """
      {"available": true, "uri": "redis://127.0.0.1:1", "redisVersion": "7.0.15",
       "redisBenchmark": {"PING": {"1": 80000, "16": 160000}, "EVALSHA": {"1": 60000, "16": 130000}},
       "roundTripsPerOperation": {"updateContext": 1.0, "syncContext (10 behind)": 1.0, "getContext": 1.0}}
      """;

  private static final String COMMAND_STATS =
      """
      {"benchmark": "RedisBenchmark.update1Caller", "commands": {"evalsha": {"calls": 9, "usecPerCall": 24.75}}}
      {"benchmark": "RedisBenchmark.commitScript1Caller", "commands": {"evalsha": {"calls": 9, "usecPerCall": 17.5}, "hset": {"calls": 18, "usecPerCall": 0.4}}}
      {"benchmark": "RedisBenchmark.lettucePing1Caller", "commands": {"ping": {"calls": 9, "usecPerCall": 0.08}}}
      """;

  @Test
  void write_singleCallerRatesAgainstLettucePing_reportsMetAndMissed() throws Exception {
    List<Report.Jmh> jmh =
        List.of(
            jmh("update1Caller", 9_000), jmh("update16Callers", 20_000),
            jmh("sync1Caller", 7_000), jmh("sync16Callers", 18_000),
            jmh("lettucePing1Caller", 10_000), jmh("lettucePing16Callers", 40_000),
            jmh("lettuceEvalsha1Caller", 9_500), jmh("lettuceEvalsha16Callers", 35_000));
    StringBuilder out = new StringBuilder();
    List<String> targets = new ArrayList<>();

    RedisSection.write(
        new ObjectMapper().readTree(REDIS_JSON),
        jmh,
        Map.of(),
        out,
        (source, target, measured, met, spread) ->
            targets.add(target + " → " + Report.verdict(met, spread) + ": " + measured));

    assertThat(out.toString())
        .contains(
            "| Chord `updateContext` (one participant's status) | 9,000 | 20,000 | — / — | 1.00 | ~2,000 |")
        .contains("| `redis-benchmark` `PING` | 80,000 | 160,000 | | 1 | |");
    assertThat(targets)
        .startsWith(
            "Redis single-caller update ≥ 80% of the client's own PING rate → **met**: "
                + "9,000/s = 90% of Lettuce PING 10,000/s (11% of redis-benchmark PING 80,000/s)",
            "Redis single-caller sync ≥ 80% of the client's own PING rate → **missed**: "
                + "7,000/s = 70% of Lettuce PING 10,000/s (9% of redis-benchmark PING 80,000/s)");
  }

  @Test
  void write_aNoisyPingRun_isUnstableNotMet() throws Exception {
    List<Report.Jmh> jmh =
        List.of(
            jmh("update1Caller", 9_000),
            jmh("sync1Caller", 9_000),
            new Report.Jmh(
                "RedisBenchmark.lettucePing1Caller",
                Map.of(),
                1,
                10_000,
                4_000,
                "ops/s",
                null,
                null));
    List<String> verdicts = new ArrayList<>();

    RedisSection.write(
        new ObjectMapper().readTree(REDIS_JSON),
        jmh,
        Map.of(),
        new StringBuilder(),
        (source, target, measured, met, spread) -> verdicts.add(Report.verdict(met, spread)));

    assertThat(verdicts.subList(0, 2)).containsOnly("**unstable — rerun** (spread 40%)");
  }

  @Test
  void write_chordAgainstTheScriptFloors_judgesEachTargetWithTheServersTimes() throws Exception {
    List<Report.Jmh> jmh =
        List.of(
            jmh("update1Caller", 3_600),
            jmh("commitScript1Caller", 5_000),
            jmh("update16Callers", 13_000),
            jmh("commitScript16Callers", 20_000),
            jmh("sync1Caller", 2_000),
            jmh("get1Caller", 8_000),
            jmh("lettucePing1Caller", 10_000));
    StringBuilder out = new StringBuilder();
    List<String> targets = new ArrayList<>();

    RedisSection.write(
        new ObjectMapper().readTree(REDIS_JSON),
        jmh,
        commandStats(),
        out,
        (source, target, measured, met, spread) ->
            targets.add(
                source + ": " + target + " → " + Report.verdict(met, spread) + ": " + measured));

    assertThat(out.toString())
        .contains(
            "| floor: `chord.lua` commit, pre-built arguments | 5,000 | 20,000 | 17.5 / — | 1 |  |")
        .contains("| Lettuce `PING` (the client's ceiling) | 10,000 | — | 0.08 / — | 1 |  |");
    assertThat(targets.subList(2, targets.size()))
        .containsExactly(
            "issue 12: Redis `updateContext`, 1 caller, ≥ 70% of the commit-script floor → **met**: "
                + "3,600/s = 72% of the floor's 5,000/s (server: 24.8 µs per EVALSHA, floor 17.5 µs)",
            "issue 12: Redis `updateContext`, 16 callers, ≥ 60% of the commit-script floor → "
                + "**met**: 13,000/s = 65% of the floor's 20,000/s (server: — µs per EVALSHA, "
                + "floor — µs)",
            "issue 12: Redis `syncContext` (10 behind), 1 caller, ≥ 70% of the sync-script floor → "
                + "not measured: a benchmark is missing from this run",
            "issue 12: Redis `getContext` of a known context, 1 caller, ≥ 80% of Lettuce PING → "
                + "**met**: 8,000/s = 80% of 10,000/s (server: — µs per EVALSHA, 0.08 µs per PING)");
  }

  @Test
  void scenarioFloor_mixOfCommitAndSyncFloors_weightedByTheScenariosCalls() {
    List<Report.Jmh> jmh =
        List.of(
            jmh("commitScript1Caller", 4_000),
            jmh("syncScript1Caller", 2_000),
            jmh("commitScript16Callers", 30_000),
            jmh("syncScript16Callers", 10_000));

    // Scenario 1: a set and 50 actions, 17 of them syncs: 34 writes, 17 syncs.
    assertThat(RedisSection.scenarioFloor(jmh, Scenarios.Kind.SINGLE, true))
        .hasValueSatisfying(f -> assertThat(f).isCloseTo(51 / (34 / 4e3 + 17 / 2e3), within(1e-6)));
    assertThat(RedisSection.scenarioFloor(jmh, Scenarios.Kind.SINGLE, false))
        .hasValueSatisfying(
            f -> assertThat(f).isCloseTo(51 / (34 / 30e3 + 17 / 10e3), within(1e-6)));
    // Scenario 2, per room: a set and 10 actions, 3 of them syncs.
    assertThat(RedisSection.scenarioFloor(jmh, Scenarios.Kind.MULTI, true))
        .hasValueSatisfying(f -> assertThat(f).isCloseTo(11 / (8 / 30e3 + 3 / 10e3), within(1e-6)));
    assertThat(RedisSection.scenarioFloor(List.of(jmh.get(0)), Scenarios.Kind.MULTI, false))
        .isEmpty();
  }

  private static Map<String, JsonNode> commandStats() throws Exception {
    Map<String, JsonNode> out = new HashMap<>();
    for (String line : COMMAND_STATS.strip().split("\n")) {
      JsonNode node = new ObjectMapper().readTree(line);
      out.put(node.path("benchmark").asText(), node.path("commands"));
    }
    return out;
  }

  @Test
  void verdicts_spreadAndGrowthArtefacts_areNeverMet() {
    assertThat(Report.verdict(true, 0.05)).isEqualTo("**met**");
    assertThat(Report.verdict(false, 0.05)).isEqualTo("**missed**");
    assertThat(Report.verdict(true, 0.31)).startsWith("**unstable — rerun**");
    assertThat(Report.verdict(true, Double.NaN)).startsWith("**unstable — rerun**");
    assertThat(Report.verdict(null, 0.9)).isEqualTo("not measured");
    assertThat(Report.growthVerdict(1.4, 2, 0.1)).isEqualTo("**met**");
    assertThat(Report.growthVerdict(2.5, 2, 0.1)).isEqualTo("**missed**");
    assertThat(Report.growthVerdict(0.8, 2, 0.1)).contains("unstable", "0.80 < 1");
  }

  private static Report.Jmh jmh(String method, double score) {
    return new Report.Jmh("RedisBenchmark." + method, Map.of(), 1, score, 0, "ops/s", null, null);
  }
}
