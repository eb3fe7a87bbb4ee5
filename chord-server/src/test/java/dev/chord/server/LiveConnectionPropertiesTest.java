package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.chord.Chord;
import dev.chord.SyncResult;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The no-hole law of a live connection, for any interleaving: whatever is committed, delivered,
 * lost, reset or read slowly, the messages the client gets chain (each patch starts at the client's
 * version) and, once the client has read everything, it holds exactly the server's state at the
 * server's version (QuickTheories: a failure prints the smallest falsifying run and the seed for
 * {@code -DQT_SEED=...}). Two clients follow the same shared steps at their own pace, so merged
 * patches rendered for one ({@link SharedStep#coalesced}) are sent to the other too.
 */
class LiveConnectionPropertiesTest {

  /** One step of a run. */
  enum Step {
    /** Commit a change and deliver it to the connection. */
    UPDATE,
    /** Commit three changes, delivered as one batch (a fan-out that fell behind). */
    BURST,
    /** Commit a change the connection never hears of (a lost delivery). */
    LOSE,
    /** The first client reads one message. */
    READ,
    /** The second client reads one message. */
    READ_OTHER,
    /** Delete the context, resync, and create it again (delivered). */
    DELETE,
    /** A full resync (as after a restore through this node). */
    RESYNC
  }

  /** Up to 80 steps; QuickTheories tries the empty run first. */
  private static Gen<List<Step>> steps() {
    Gen<Step> step =
        Generate.frequency(
            List.of(
                Pair.of(10, Generate.constant(Step.UPDATE)),
                Pair.of(2, Generate.constant(Step.BURST)),
                Pair.of(1, Generate.constant(Step.LOSE)),
                Pair.of(4, Generate.constant(Step.READ)),
                Pair.of(3, Generate.constant(Step.READ_OTHER)),
                Pair.of(1, Generate.constant(Step.DELETE)),
                Pair.of(1, Generate.constant(Step.RESYNC))));
    return lists().of(step).ofSizeBetween(0, 80);
  }

  @Test
  void messagesChain_andTheClientEndsOnTheServersState() {
    qt().withExamples(300)
        .forAll(
            steps(), integers().between(1, 5), integers().between(1, 6), integers().between(0, 3))
        .checkAssert(LiveConnectionPropertiesTest::endsOnTheServersState);
  }

  /** With a queue that never overflows: every merge is made when a write completes. */
  @Test
  void messagesMergedWhenSent_chain_andTheClientEndsOnTheServersState() {
    qt().withExamples(300)
        .forAll(steps(), integers().between(1, 6), integers().between(0, 3))
        .checkAssert(
            (steps, maxMergedChanges, startBehind) ->
                endsOnTheServersState(steps, 1000, maxMergedChanges, startBehind));
  }

  /** One client: its connection, what it was sent, how much of that it has read, what it holds. */
  private static final class Client {
    final LiveConnectionTest.ManualSink sink = new LiveConnectionTest.ManualSink();
    final LiveConnection connection;
    final Replica replica;
    int read;

    Client(Chord chord, int queueLimit, int maxMergedChanges, SyncResult sync) {
      connection =
          new LiveConnection(chord, "room", WireFormat.CHORD, sink, queueLimit, maxMergedChanges);
      connection.start(
          Json.write(Messages.sync(sync, WireFormat.CHORD)), sync.epoch(), sync.version());
      replica = new Replica(Map.of("k0", 0), sync.epoch(), 1);
    }

    void readOne() {
      Runnable done = sink.inFlight.poll();
      if (done != null) {
        replica.apply(message(sink.sent.get(read++)));
        done.run();
      }
    }

    void readAll() {
      sink.drain();
      while (read < sink.sent.size()) {
        replica.apply(message(sink.sent.get(read++)));
      }
    }
  }

  private static void endsOnTheServersState(
      List<Step> steps, int queueLimit, int maxMergedChanges, int startBehind) {
    try (Chord chord = Chord.builder().deltaThreshold(50).build()) {
      chord.setContext("room", Map.of("k0", 0));
      for (int i = 1; i <= startBehind; i++) {
        chord.updateContext("room", Map.of("k" + i, i));
      }
      SyncResult sync = chord.syncContext("room", 1L);
      List<Client> clients =
          List.of(
              new Client(chord, queueLimit, maxMergedChanges, sync),
              new Client(chord, queueLimit, maxMergedChanges, sync));
      int n = 100;
      for (Step step : steps) {
        n++;
        switch (step) {
          case UPDATE -> {
            SharedStep shared =
                new SharedStep(chord.updateContext("room", Map.of("k" + n % 7, n)).deltaRecord());
            clients.forEach(c -> c.connection.offer(shared));
          }
          case BURST -> {
            List<SharedStep> burst = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
              burst.add(
                  new SharedStep(
                      chord.updateContext("room", Map.of("k" + (n + i) % 7, n)).deltaRecord()));
            }
            clients.forEach(c -> c.connection.deliver(burst));
          }
          case LOSE -> chord.updateContext("room", Map.of("k" + n % 7, n));
          case READ -> clients.get(0).readOne();
          case READ_OTHER -> clients.get(1).readOne();
          case DELETE -> {
            String deleted = chord.getContext("room").orElseThrow().epoch();
            chord.deleteContext("room");
            SharedReset reset = SharedReset.of(Optional.empty(), deleted);
            SharedStep created =
                new SharedStep(chord.setContext("room", Map.of("k0", n)).deltaRecord());
            for (Client client : clients) {
              client.connection.reset(reset);
              client.connection.offer(created);
            }
          }
          case RESYNC -> {
            Optional<dev.chord.Context> current = chord.getContext("room");
            SharedReset reset = SharedReset.of(current, current.orElseThrow().epoch());
            clients.forEach(c -> c.connection.reset(reset));
          }
        }
      }
      // The clients read everything; one last delivered commit flushes any lost-delivery hole.
      clients.forEach(Client::readAll);
      SharedStep last =
          new SharedStep(chord.updateContext("room", Map.of("last", true)).deltaRecord());
      clients.forEach(c -> c.connection.offer(last));
      dev.chord.Context current = chord.getContext("room").orElseThrow();
      for (Client client : clients) {
        client.readAll();
        assertThat(client.replica.version).isEqualTo(current.version());
        assertThat(client.replica.state).isEqualTo(message(Json.write(current.data())));
        if (queueLimit > 3 * steps.size() && !steps.contains(Step.LOSE)) {
          assertThat(client.connection.fullResyncs())
              .as("no overflow and no hole: merging when sent never needs a full read")
              .isZero();
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> message(String json) {
    try {
      return Http.JSON.readValue(json, LinkedHashMap.class);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
