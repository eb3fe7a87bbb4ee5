package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.ContextUpdate;
import dev.chord.SyncResult;
import dev.chord.redis.RedisBackend;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
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
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Chord on Redis next to the ceiling of the same client: {@code updateContext} of one participant's
 * status and {@code syncContext} from 10 versions behind, at 1 and 16 concurrent callers (each
 * caller on its own 50-participant room, so callers do not conflict), and Lettuce's own {@code
 * PING} and {@code EVALSHA} of {@code return 1} on one shared connection at the same concurrency.
 * Scores are operations per second over all callers. {@code bench/run.sh} starts a private
 * redis-server and passes its URI.
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

  /** One Chord on Redis with 16 rooms, and a plain Lettuce connection to the same server. */
  @State(Scope.Benchmark)
  public static class Server {
    @Param("redis://127.0.0.1:6379")
    public String redisUri;

    Chord chord;
    RedisClient client;
    StatefulRedisConnection<String, String> connection;
    String trivialScript;

    @Setup
    public void setUp() {
      chord =
          Chord.builder()
              .backend(RedisBackend.builder(redisUri).keyPrefix("chord-bench").build())
              .build();
      for (int i = 0; i < ROOMS; i++) {
        chord.setContext(room(i), TeamRoom.room(room(i)));
      }
      client = RedisClient.create(redisUri);
      connection = client.connect();
      trivialScript = connection.sync().scriptLoad("return 1");
    }

    @TearDown
    public void tearDown() {
      connection.close();
      client.shutdown();
      chord.close();
    }
  }

  /** One caller: its own room, its own values, and a client version 10 behind its room. */
  @State(Scope.Thread)
  public static class Caller {
    String room;
    StatusChanges changes;
    Long tenBehind;

    @Setup
    public void setUp(Server server, ThreadParams thread) {
      room = room(thread.getThreadIndex() % ROOMS);
      changes = new StatusChanges(TeamRoom.PARTICIPANTS, "t" + thread.getThreadIndex() + "_");
      long version = 0;
      for (int i = 0; i < BEHIND; i++) {
        version = server.chord.updateContext(room, changes.next()).context().version();
      }
      tenBehind = version - BEHIND;
    }
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
