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
        (source, target, measured, met) -> targets.add(target + " → " + met + ": " + measured));

    assertThat(out.toString())
        .contains(
            "| Chord `updateContext` (one participant's status) | 9,000 | 20,000 | 1.00 | ~2,000 |")
        .contains("| `redis-benchmark` `PING` | 80,000 | 160,000 | 1 | |");
    assertThat(targets)
        .containsExactly(
            "Redis single-caller update ≥ 80% of the client's own PING rate → true: "
                + "9,000/s = 90% of Lettuce PING 10,000/s (11% of redis-benchmark PING 80,000/s)",
            "Redis single-caller sync ≥ 80% of the client's own PING rate → false: "
                + "7,000/s = 70% of Lettuce PING 10,000/s (9% of redis-benchmark PING 80,000/s)");
  }

  private static Report.Jmh jmh(String method, double score) {
    return new Report.Jmh("RedisBenchmark." + method, Map.of(), 1, score, 0, "ops/s", null, null);
  }
}
