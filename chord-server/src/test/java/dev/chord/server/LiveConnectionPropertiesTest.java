package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.chord.Chord;
import dev.chord.SyncResult;
import java.io.UncheckedIOException;
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
 * {@code -DQT_SEED=...}).
 */
class LiveConnectionPropertiesTest {

  /** One step of a run. */
  enum Step {
    /** Commit a change and deliver it to the connection. */
    UPDATE,
    /** Commit a change the connection never hears of (a lost delivery). */
    LOSE,
    /** The client reads one message. */
    READ,
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
                Pair.of(1, Generate.constant(Step.LOSE)),
                Pair.of(6, Generate.constant(Step.READ)),
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

  private static void endsOnTheServersState(
      List<Step> steps, int queueLimit, int maxMergedChanges, int startBehind) {
    try (Chord chord = Chord.builder().deltaThreshold(50).build()) {
      LiveConnectionTest.ManualSink sink = new LiveConnectionTest.ManualSink();
      chord.setContext("room", Map.of("k0", 0));
      for (int i = 1; i <= startBehind; i++) {
        chord.updateContext("room", Map.of("k" + i, i));
      }
      LiveConnection connection =
          new LiveConnection(chord, "room", WireFormat.CHORD, sink, queueLimit, maxMergedChanges);
      SyncResult sync = chord.syncContext("room", 1L);
      connection.start(
          Json.write(Messages.sync(sync, WireFormat.CHORD)), sync.epoch(), sync.version());
      Replica replica = new Replica(Map.of("k0", 0), sync.epoch(), 1);
      int read = 0;
      int n = 100;
      for (Step step : steps) {
        n++;
        switch (step) {
          case UPDATE ->
              connection.offer(
                  new SharedStep(
                      chord.updateContext("room", Map.of("k" + n % 7, n)).deltaRecord()));
          case LOSE -> chord.updateContext("room", Map.of("k" + n % 7, n));
          case READ -> {
            Runnable done = sink.inFlight.poll();
            if (done != null) {
              replica.apply(message(sink.sent.get(read++)));
              done.run();
            }
          }
          case DELETE -> {
            String deleted = chord.getContext("room").orElseThrow().epoch();
            chord.deleteContext("room");
            connection.reset(SharedReset.of(Optional.empty(), deleted));
            connection.offer(
                new SharedStep(chord.setContext("room", Map.of("k0", n)).deltaRecord()));
          }
          case RESYNC -> {
            Optional<dev.chord.Context> current = chord.getContext("room");
            connection.reset(SharedReset.of(current, current.orElseThrow().epoch()));
          }
        }
      }
      // The client reads everything; one last delivered commit flushes any lost-delivery hole.
      sink.drain();
      connection.offer(
          new SharedStep(chord.updateContext("room", Map.of("last", true)).deltaRecord()));
      while (read < sink.sent.size()) {
        replica.apply(message(sink.sent.get(read++)));
      }
      dev.chord.Context current = chord.getContext("room").orElseThrow();
      assertThat(replica.version).isEqualTo(current.version());
      assertThat(replica.state).isEqualTo(message(Json.write(current.data())));
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
