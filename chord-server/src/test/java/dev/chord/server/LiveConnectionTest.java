package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import dev.chord.SyncResult;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-connection queue: order, merging when full, full-context fallback, never a hole. */
class LiveConnectionTest {
  final Chord chord = Chord.inMemory();
  final ManualSink sink = new ManualSink();

  @AfterEach
  void close() {
    chord.close();
  }

  /** A socket whose writes complete only when the test says so: a client that reads slowly. */
  static final class ManualSink implements LiveConnection.Sink {
    final List<String> sent = new ArrayList<>();
    final ArrayDeque<Runnable> inFlight = new ArrayDeque<>();
    boolean autoComplete;
    int closedWith;

    @Override
    public void send(String text, Runnable done, Consumer<Throwable> failed) {
      sent.add(text);
      if (autoComplete) {
        done.run();
      } else {
        inFlight.add(done);
      }
    }

    @Override
    public void close(int code, String reason) {
      closedWith = code;
    }

    /** Lets the client read everything, including what is queued behind. */
    void drain() {
      autoComplete = true;
      Runnable done;
      while ((done = inFlight.poll()) != null) {
        done.run();
      }
    }
  }

  LiveConnection connect(int queueLimit, int maxMergedChanges) {
    LiveConnection connection =
        new LiveConnection(chord, "room", WireFormat.CHORD, sink, queueLimit, maxMergedChanges);
    SyncResult sync = chord.syncContext("room", null);
    connection.start(Json.write(Messages.sync(sync, WireFormat.CHORD)), sync.version());
    return connection;
  }

  void update(LiveConnection connection, Map<String, Object> changes) {
    connection.offer(new SharedStep(chord.updateContext("room", changes).deltaRecord()));
  }

  Replica replay() throws Exception {
    Replica replica = new Replica();
    for (String text : sink.sent) {
      @SuppressWarnings("unchecked")
      Map<String, Object> message = Http.JSON.readValue(text, LinkedHashMap.class);
      replica.apply(message);
    }
    return replica;
  }

  Map<String, Object> server() throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Object> data =
        Http.JSON.readValue(
            Json.write(chord.getContext("room").orElseThrow().data()), LinkedHashMap.class);
    return data;
  }

  @Test
  void fastClient_getsInitialThenEveryDeltaInOrder() throws Exception {
    chord.setContext("room", Map.of("n", 0));
    sink.autoComplete = true;
    LiveConnection connection = connect(8, 1000);
    for (int i = 1; i <= 20; i++) {
      update(connection, Map.of("n", i));
    }
    Replica replica = replay();
    assertThat(sink.sent).hasSize(21);
    assertThat(replica.patches).isEqualTo(20);
    assertThat(replica.merged).isZero();
    assertThat(replica.version).isEqualTo(21);
    assertThat(replica.state).isEqualTo(server());
  }

  @Test
  void slowClient_queuedDeltasAreMerged_whenTheQueueIsFull() throws Exception {
    chord.setContext("room", Map.of("people", Map.of()));
    LiveConnection connection = connect(4, 1000);
    for (int i = 0; i < 50; i++) {
      update(connection, Map.of("people", Map.of("p" + (i % 7), Map.of("status", "s" + i))));
    }
    assertThat(sink.sent).as("only the initial message is in flight").hasSize(1);
    assertThat(connection.merges()).isGreaterThan(0);
    sink.drain();
    Replica replica = replay();
    assertThat(sink.sent.size()).isLessThanOrEqualTo(1 + 5);
    assertThat(replica.merged).isGreaterThan(0);
    assertThat(replica.fulls).isEqualTo(1); // the initial one only
    assertThat(replica.version).isEqualTo(51);
    assertThat(replica.state).isEqualTo(server());
  }

  @Test
  void slowClient_mergeTooLarge_becomesOneFullContext() throws Exception {
    chord.setContext("room", Map.of());
    LiveConnection connection = connect(2, 3);
    for (int i = 0; i < 10; i++) {
      update(connection, Map.of("k" + i, i));
    }
    assertThat(connection.fullResyncs()).isEqualTo(1);
    sink.drain();
    Replica replica = replay();
    assertThat(replica.fulls).isEqualTo(2);
    assertThat(replica.version).isEqualTo(11);
    assertThat(replica.state).isEqualTo(server());
    // later deltas still chain on the full context
    update(connection, Map.of("after", true));
    assertThat(replay().state).isEqualTo(server());
  }

  @Test
  void deltaThatDoesNotChain_isReplacedByTheFullContext() throws Exception {
    chord.setContext("room", Map.of("a", 1));
    sink.autoComplete = true;
    LiveConnection connection = connect(8, 1000);
    chord.updateContext("room", Map.of("a", 2)); // version 2: never offered (lost)
    update(connection, Map.of("a", 3)); // version 3 does not follow 1
    Replica replica = replay();
    assertThat(replica.fulls).isEqualTo(2);
    assertThat(replica.version).isEqualTo(3);
    assertThat(replica.state).isEqualTo(server());
  }

  @Test
  void resync_afterDelete_sendsAbsent_thenTheRecreatedContext() throws Exception {
    chord.setContext("room", Map.of("a", 1));
    sink.autoComplete = true;
    LiveConnection connection = connect(8, 1000);
    chord.deleteContext("room");
    connection.resync();
    connection.offer(new SharedStep(chord.setContext("room", Map.of("b", 2)).deltaRecord()));
    List<String> types = new ArrayList<>();
    for (String text : sink.sent) {
      types.add((String) Http.JSON.readValue(text, Map.class).get("type"));
    }
    assertThat(types).containsExactly("full", "absent", "patch");
    assertThat(replay().state).isEqualTo(Map.of("b", 2));
  }

  @Test
  void overflowBeforeTheInitialMessage_stillEndsOnTheCurrentState() throws Exception {
    chord.setContext("room", Map.of("a", 0));
    String initial = Json.write(Messages.sync(chord.syncContext("room", null), WireFormat.CHORD));
    sink.autoComplete = true;
    LiveConnection connection = new LiveConnection(chord, "room", WireFormat.CHORD, sink, 2, 1);
    for (int i = 1; i <= 9; i++) {
      connection.offer(
          new SharedStep(chord.updateContext("room", Map.of("k" + i, i)).deltaRecord()));
    }
    connection.start(initial, 1);
    Replica replica = replay();
    assertThat(replica.version).isEqualTo(10);
    assertThat(replica.state).isEqualTo(server());
  }

  @Test
  void closedConnection_sendsNothingMore() {
    chord.setContext("room", Map.of("a", 1));
    sink.autoComplete = true;
    LiveConnection connection = connect(8, 1000);
    connection.close();
    update(connection, Map.of("a", 2));
    assertThat(sink.sent).hasSize(1);
  }
}
