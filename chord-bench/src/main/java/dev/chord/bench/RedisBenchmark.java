package dev.chord.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.ContextUpdate;
import dev.chord.SyncResult;
import dev.chord.redis.RedisBackend;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Chord on Redis next to the floor of its data layout: {@code updateContext} of one participant's
 * status, {@code syncContext} from 10 versions behind and {@code getContext} of a context this node
 * knows, at 1 and 16 concurrent callers (each caller on its own 50-participant room, so callers do
 * not conflict); and, on one plain Lettuce connection to the same server, in the same run:
 *
 * <ul>
 *   <li>the floor: Chord's own script ({@code chord.lua}, loaded from the chord-redis jar) called
 *       with pre-built arguments, no Chord and no codec: the commit of a one-participant status
 *       change ({@link ScriptArgs#commit}), and the history read a sync makes ({@link
 *       ScriptArgs#history}), on rooms of the same shape;
 *   <li>the same floor through a Redis 7 function ({@code FCALL}) instead of EVALSHA, 1 caller;
 *   <li>Lettuce's {@code PING} and {@code EVALSHA} of {@code return 1}.
 * </ul>
 *
 * Scores are operations per second over all callers. With {@code -p commandStats=<file>} each
 * benchmark's teardown appends to that file one JSON line of what the server counted during the
 * trial (warm-up and the callers' setup, 10 commits each, included; {@code INFO commandstats}):
 * calls and microseconds per call, by command. {@code bench/run.sh} starts a private redis-server
 * and passes its URI.
 *
 * <pre>
 * java -jar chord-bench/target/benchmarks.jar RedisBenchmark -p redisUri=redis://127.0.0.1:6379
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RedisBenchmark {
  private static final int ROOMS = 16;
  private static final int BEHIND = 10;
  static final String KEY_PREFIX = "chord-bench";

  /** One Chord on Redis with 16 rooms, and a plain Lettuce connection to the same server. */
  @State(Scope.Benchmark)
  public static class Server {
    @Param("redis://127.0.0.1:6379")
    public String redisUri;

    /** Where the teardown appends the trial's command counts; empty: nowhere. */
    @Param("")
    public String commandStats;

    Chord chord;
    RedisClient client;
    StatefulRedisConnection<String, String> connection;
    String trivialScript;
    String chordScript;
    Map<String, long[]> statsBefore;

    @Setup
    public void setUp() {
      chord =
          Chord.builder()
              .backend(RedisBackend.builder(redisUri).keyPrefix(KEY_PREFIX).build())
              .build();
      for (int i = 0; i < ROOMS; i++) {
        chord.setContext(room(i), TeamRoom.room(room(i)));
      }
      client = RedisClient.create(redisUri);
      connection = client.connect();
      trivialScript = connection.sync().scriptLoad("return 1");
      chordScript = connection.sync().scriptLoad(ScriptArgs.source());
      connection.sync().functionLoad(ScriptArgs.library(), true);
      statsBefore = commandStats(connection.sync());
    }

    @TearDown
    public void tearDown(BenchmarkParams params) throws IOException {
      if (!commandStats.isEmpty()) {
        Map<String, long[]> after = commandStats(connection.sync());
        Map<String, Map<String, Object>> commands = new LinkedHashMap<>();
        after.forEach(
            (command, now) -> {
              long[] before = statsBefore.getOrDefault(command, new long[2]);
              long calls = now[0] - before[0];
              // INFO: the setup's and this teardown's own.
              if (calls > 0 && !command.equals("info")) {
                commands.put(
                    command,
                    Map.of("calls", calls, "usecPerCall", (now[1] - before[1]) / (double) calls));
              }
            });
        String benchmark =
            params.getBenchmark().substring(RedisBenchmark.class.getPackageName().length() + 1);
        String line =
            new ObjectMapper()
                .writeValueAsString(Map.of("benchmark", benchmark, "commands", commands));
        Files.writeString(
            Path.of(commandStats),
            line + "\n",
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      }
      connection.close();
      client.shutdown();
      chord.close();
    }
  }

  /**
   * One caller: its own room, its own values, a client version 10 behind its room, and the floor's
   * arguments for that room.
   */
  @State(Scope.Thread)
  public static class Caller {
    String room;
    StatusChanges changes;
    Long tenBehind;
    ScriptArgs floor;

    @Setup
    public void setUp(Server server, ThreadParams thread) {
      room = room(thread.getThreadIndex() % ROOMS);
      changes = new StatusChanges(TeamRoom.PARTICIPANTS, "t" + thread.getThreadIndex() + "_");
      Context context = null;
      for (int i = 0; i < BEHIND; i++) {
        context = server.chord.updateContext(room, changes.next()).context();
      }
      tenBehind = context.version() - BEHIND;
      // getContext benchmarks read a context this node knows: the updates above made it known.
      floor =
          new ScriptArgs(
              KEY_PREFIX,
              room,
              context.version(),
              context.epoch(),
              "t" + thread.getThreadIndex() + "_status_");
    }
  }

  /**
   * The arguments Chord's backend sends {@code chord.lua} for a commit of one participant's status
   * and for a sync's history read, built here once so that the floor measures the script and the
   * client, nothing else. Where they are defined: the slots in {@code chord.lua}'s header and
   * chord-redis's {@code ScriptCall}, the values in {@code RedisBackend} ({@code commitCall},
   * {@code history}: maxBehind 64 for a commit, Chord's deltaThreshold 100 for a history and as
   * maxDeltas), the keys in {@code Keys}, the leaf fields and the delta message in {@code
   * LeafLayout} and {@code TypedJson.writeDeltaMessage}. {@code RedisFloorArgumentsTest} compares
   * them, slot by slot, with what the backend sends ({@code MONITOR}), so they cannot drift
   * unnoticed.
   *
   * <p>A commit must pass the script's version check to do a commit's work, so each one names the
   * version the previous one stored: per call, a copy of the prepared arguments gets the three
   * version slots and the message (which carries the version) set; the value alternates between two
   * prepared ones.
   */
  static final class ScriptArgs {
    private static final int MAX_BEHIND = 64;
    private static final int MAX_DELTAS = Chord.Builder.DEFAULT_DELTA_THRESHOLD;
    private static final String PARTICIPANT = TeamRoom.participant(1);
    static final String FUNCTION = "chord_bench";

    final String[] keys;
    final String[] history;
    private final String[] commit;
    private final String[] values;
    private final String[] messageTails;
    private long version;

    ScriptArgs(String prefix, String contextId, long version, String epoch, String valuePrefix) {
      String base =
          prefix
              + ":{"
              + Base64.getUrlEncoder()
                  .withoutPadding()
                  .encodeToString(contextId.getBytes(StandardCharsets.UTF_8))
              + "}:";
      this.keys = new String[] {base + "meta", base + "data", base + "log"};
      this.version = version;
      this.history =
          new String[] {
            "history",
            "",
            "",
            Integer.toString(MAX_DELTAS),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            Long.toString(version - BEHIND)
          };
      String insertedAt = Long.toString(System.currentTimeMillis());
      this.values = new String[] {json(valuePrefix + 0), json(valuePrefix + 1)};
      this.messageTails = new String[2];
      for (int i = 0; i < 2; i++) {
        messageTails[i] =
            ",\"insertedAt\":"
                + insertedAt
                + ",\"changes\":[{\"path\":[\"participants\",\""
                + PARTICIPANT
                + "\",\"status\"],\"action\":\"modified\",\"old\":"
                + values[1 - i]
                + ",\"value\":"
                + values[i]
                + "}]}";
      }
      this.commit =
          new String[] {
            "commit",
            "",
            epoch,
            Integer.toString(MAX_BEHIND),
            "",
            "",
            epoch,
            "",
            epoch,
            insertedAt,
            Integer.toString(MAX_DELTAS),
            "",
            "",
            contextId,
            base + "feed",
            "",
            "0",
            "/participants/" + PARTICIPANT + "/status",
            ""
          };
    }

    private static String json(String text) {
      return "\"" + text + "\"";
    }

    /** The next commit's arguments: from the version the last one stored to the one after it. */
    String[] commit() {
      String[] args = commit.clone();
      String expected = Long.toString(version);
      version++;
      int parity = (int) (version & 1);
      args[1] = expected;
      args[5] = expected;
      args[7] = Long.toString(version);
      args[15] = "{\"version\":" + version + messageTails[parity];
      args[18] = values[parity];
      return args;
    }

    /**
     * {@code chord.lua} as a Redis 7 function library ({@code FUNCTION LOAD} once, then {@code
     * FCALL} {@value #FUNCTION}), to compare with EVALSHA: the script's body becomes the
     * function's, with KEYS and ARGV its parameters.
     */
    static String library() {
      return "#!lua name="
          + FUNCTION
          + "\nredis.register_function('"
          + FUNCTION
          + "', function(KEYS, ARGV)\n"
          + source()
          + "\nend)\n";
    }

    /** {@code chord.lua}, as the chord-redis jar holds it. */
    static String source() {
      try (InputStream in = RedisBackend.class.getResourceAsStream("chord.lua")) {
        if (in == null) {
          throw new IllegalStateException("chord.lua is missing from the chord-redis jar");
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** What {@code INFO commandstats} counts: command → {calls, microseconds}. */
  static Map<String, long[]> commandStats(RedisCommands<String, String> redis) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (String line : redis.info("commandstats").split("\r?\n")) {
      if (!line.startsWith("cmdstat_")) {
        continue;
      }
      long calls = 0;
      long usec = 0;
      for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
        String[] kv = field.split("=", 2);
        if (kv[0].equals("calls")) {
          calls = Long.parseLong(kv[1]);
        } else if (kv[0].equals("usec")) {
          usec = Long.parseLong(kv[1]);
        }
      }
      out.put(line.substring("cmdstat_".length(), line.indexOf(':')), new long[] {calls, usec});
    }
    return out;
  }

  static String room(int i) {
    return "room:" + i;
  }

  @Benchmark
  @Threads(1)
  public ContextUpdate update1Caller(Server server, Caller caller) {
    return server.chord.updateContext(caller.room, caller.changes.next());
  }

  @Benchmark
  @Threads(16)
  public ContextUpdate update16Callers(Server server, Caller caller) {
    return server.chord.updateContext(caller.room, caller.changes.next());
  }

  @Benchmark
  @Threads(1)
  public SyncResult sync1Caller(Server server, Caller caller) {
    return server.chord.syncContext(caller.room, caller.tenBehind);
  }

  @Benchmark
  @Threads(16)
  public SyncResult sync16Callers(Server server, Caller caller) {
    return server.chord.syncContext(caller.room, caller.tenBehind);
  }

  @Benchmark
  @Threads(1)
  public Optional<Context> get1Caller(Server server, Caller caller) {
    return server.chord.getContext(caller.room);
  }

  @Benchmark
  @Threads(1)
  public List<Object> commitScript1Caller(Server server, Caller caller) {
    return commitScript(server, caller);
  }

  @Benchmark
  @Threads(16)
  public List<Object> commitScript16Callers(Server server, Caller caller) {
    return commitScript(server, caller);
  }

  @Benchmark
  @Threads(1)
  public List<Object> syncScript1Caller(Server server, Caller caller) {
    return syncScript(server, caller);
  }

  @Benchmark
  @Threads(16)
  public List<Object> syncScript16Callers(Server server, Caller caller) {
    return syncScript(server, caller);
  }

  @Benchmark
  @Threads(1)
  public List<Object> commitFunction1Caller(Server server, Caller caller) {
    return committed(
        server
            .connection
            .sync()
            .fcall(
                ScriptArgs.FUNCTION,
                ScriptOutputType.MULTI,
                caller.floor.keys,
                caller.floor.commit()));
  }

  @Benchmark
  @Threads(1)
  public List<Object> syncFunction1Caller(Server server, Caller caller) {
    return server
        .connection
        .sync()
        .fcall(
            ScriptArgs.FUNCTION, ScriptOutputType.MULTI, caller.floor.keys, caller.floor.history);
  }

  private static List<Object> commitScript(Server server, Caller caller) {
    return committed(
        server
            .connection
            .sync()
            .evalsha(
                server.chordScript,
                ScriptOutputType.MULTI,
                caller.floor.keys,
                caller.floor.commit()));
  }

  private static List<Object> committed(List<Object> reply) {
    if (!"ok".equals(reply.get(0))) {
      // A conflict: the floor would no longer do a commit's work.
      throw new IllegalStateException("the floor's commit was refused: " + reply);
    }
    return reply;
  }

  private static List<Object> syncScript(Server server, Caller caller) {
    return server
        .connection
        .sync()
        .evalsha(
            server.chordScript, ScriptOutputType.MULTI, caller.floor.keys, caller.floor.history);
  }

  @Benchmark
  @Threads(1)
  public String lettucePing1Caller(Server server) {
    return server.connection.sync().ping();
  }

  @Benchmark
  @Threads(16)
  public String lettucePing16Callers(Server server) {
    return server.connection.sync().ping();
  }

  @Benchmark
  @Threads(1)
  public Long lettuceEvalsha1Caller(Server server) {
    return server.connection.sync().evalsha(server.trivialScript, ScriptOutputType.INTEGER);
  }

  @Benchmark
  @Threads(16)
  public Long lettuceEvalsha16Callers(Server server) {
    return server.connection.sync().evalsha(server.trivialScript, ScriptOutputType.INTEGER);
  }
}
