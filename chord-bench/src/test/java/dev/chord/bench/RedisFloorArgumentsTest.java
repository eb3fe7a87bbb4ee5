package dev.chord.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.redis.RedisBackend;
import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The floor of {@link RedisBenchmark} sends {@code chord.lua} what Chord's backend sends, slot by
 * slot: both calls are read back from the server's {@code MONITOR} output. A commit's numbers
 * (versions, time) and values differ, so digits are compared as "some number"; a history read must
 * be identical. The floor's commit must also do a commit's work: Chord reads what it wrote.
 */
class RedisFloorArgumentsTest {
  private static final String MARKER = "floor-test-end";

  /** Where ARGV starts in a MONITOR line of EVALSHA: after the digest, the key count, 3 keys. */
  private static final int ARGV = 6;

  @Test
  void floorScriptCalls_sameArgumentsAsTheBackend() throws Exception {
    try (RedisServer redis = RedisServers.own();
        Chord chord =
            Chord.builder()
                .backend(
                    RedisBackend.builder(redis.uri()).keyPrefix(RedisBenchmark.KEY_PREFIX).build())
                .build()) {
      RedisClient client = RedisClient.create(redis.uri());
      try (StatefulRedisConnection<String, String> connection = client.connect()) {
        RedisCommands<String, String> plain = connection.sync();
        String sha = plain.scriptLoad(RedisBenchmark.ScriptArgs.source());
        String room = RedisBenchmark.room(0);
        chord.setContext(room, TeamRoom.room(room));
        StatusChanges changes = new StatusChanges(TeamRoom.PARTICIPANTS, "t0_");
        for (int i = 0; i < 12; i++) {
          chord.updateContext(room, changes.next());
        }
        chord.updateContext(room, TeamRoom.statusChange(TeamRoom.participant(1), "t0_status_1"));

        Process monitor =
            new ProcessBuilder(
                    RedisServers.redisCli(), "-p", Integer.toString(redis.port()), "monitor")
                .redirectErrorStream(true)
                .start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> read(monitor, lines));
        reader.start();
        try {
          while (lines.isEmpty()) {
            plain.echo("floor-test-start");
            Thread.sleep(20);
          }
          lines.clear();
          Context updated =
              chord
                  .updateContext(
                      room, TeamRoom.statusChange(TeamRoom.participant(1), "t0_status_0"))
                  .context();
          RedisBenchmark.ScriptArgs floor =
              new RedisBenchmark.ScriptArgs(
                  RedisBenchmark.KEY_PREFIX,
                  room,
                  updated.version(),
                  updated.epoch(),
                  "t0_status_");
          List<Object> committed =
              plain.evalsha(sha, ScriptOutputType.MULTI, floor.keys, floor.commit());
          long head = updated.version() + 1;
          chord.syncContext(room, head - 10);
          RedisBenchmark.ScriptArgs synced =
              new RedisBenchmark.ScriptArgs(
                  RedisBenchmark.KEY_PREFIX, room, head, updated.epoch(), "t0_status_");
          plain.evalsha(sha, ScriptOutputType.MULTI, synced.keys, synced.history);
          plain.echo(MARKER);
          reader.join(TimeUnit.SECONDS.toMillis(10));

          assertThat(committed).containsExactly("ok");
          Context after = chord.getContext(room).orElseThrow();
          assertThat(after.version()).isEqualTo(head);
          assertThat(after.data().get("participants"))
              .extracting(p -> ((java.util.Map<?, ?>) p).get(TeamRoom.participant(1)))
              .extracting(u -> ((java.util.Map<?, ?>) u).get("status"))
              .isIn("t0_status_0", "t0_status_1");
        } finally {
          monitor.destroy();
        }
        List<List<String>> calls = new ArrayList<>();
        synchronized (lines) {
          for (String line : lines) {
            List<String> tokens = tokens(line);
            if (!line.contains(" lua]") && tokens.get(0).equalsIgnoreCase("evalsha")) {
              calls.add(tokens);
            }
          }
        }
        // Chord's commit, the floor's, Chord's history read, the floor's: nothing else.
        assertThat(calls).hasSize(4);
        assertThat(masked(calls.get(1))).isEqualTo(masked(calls.get(0)));
        assertThat(calls.get(1).get(ARGV)).isEqualTo("commit");
        assertThat(calls.get(3)).isEqualTo(calls.get(2));
        assertThat(calls.get(3).get(ARGV)).isEqualTo("history");
      } finally {
        client.shutdown();
      }
    }
  }

  /** Reads MONITOR's lines until the end marker. */
  private static void read(Process monitor, List<String> lines) {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(monitor.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        lines.add(line);
        if (line.contains(MARKER)) {
          return;
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The quoted arguments of a MONITOR line, unescaped ({@code \"} and {@code \\}). */
  private static List<String> tokens(String line) {
    List<String> out = new ArrayList<>();
    int i = line.indexOf("] \"");
    if (i < 0) {
      return List.of("");
    }
    i += 2;
    while (i < line.length()) {
      if (line.charAt(i) != '"') {
        i++;
        continue;
      }
      StringBuilder token = new StringBuilder();
      i++;
      while (line.charAt(i) != '"') {
        char c = line.charAt(i);
        if (c == '\\') {
          i++;
          c = line.charAt(i);
        }
        token.append(c);
        i++;
      }
      out.add(token.toString());
      i++;
    }
    return out;
  }

  /**
   * The arguments of a commit with what differs from commit to commit masked: the versions and the
   * time are replaced by {@code #}, and so is every run of digits in the message and the value.
   */
  private static List<String> masked(List<String> tokens) {
    List<String> out = new ArrayList<>(tokens);
    for (int slot : new int[] {2, 6, 8, 10}) {
      out.set(ARGV + slot - 1, "#");
    }
    for (int slot : new int[] {16, 19}) {
      out.set(ARGV + slot - 1, out.get(ARGV + slot - 1).replaceAll("[0-9]+", "#"));
    }
    return out;
  }
}
