package dev.chord.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Redis part of the report, from fixed figures: table rows and the 80%-of-PING targets. */
class RedisSectionTest {
  private static final String REDIS_JSON =
      """
      {"available": true, "uri": "redis://127.0.0.1:1", "redisVersion": "7.0.15",
       "redisBenchmark": {"PING": {"1": 80000, "16": 160000}, "EVALSHA": {"1": 60000, "16": 130000}},
       "roundTripsPerOperation": {"updateContext": 1.0, "syncContext (10 behind)": 1.0, "getContext": 1.0}}
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
        out,
        (source, target, measured, met, spread) ->
            targets.add(target + " → " + Report.verdict(met, spread) + ": " + measured));

    assertThat(out.toString())
        .contains(
            "| Chord `updateContext` (one participant's status) | 9,000 | 20,000 | 1.00 | ~2,000 |")
        .contains("| `redis-benchmark` `PING` | 80,000 | 160,000 | 1 | |");
    assertThat(targets)
        .containsExactly(
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
        new StringBuilder(),
        (source, target, measured, met, spread) -> verdicts.add(Report.verdict(met, spread)));

    assertThat(verdicts).containsOnly("**unstable — rerun** (spread 40%)").hasSize(2);
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
