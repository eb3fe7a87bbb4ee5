package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import dev.chord.SyncResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The no-hole law of a live connection, for any interleaving: whatever is committed, delivered,
 * lost, reset or read slowly, the messages the client gets chain (each patch starts at the client's
 * version) and, once the client has read everything, it holds exactly the server's state at the
 * server's version.
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

  @Provide
  Arbitrary<List<Step>> steps() {
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(10, Arbitraries.just(Step.UPDATE)),
            net.jqwik.api.Tuple.of(1, Arbitraries.just(Step.LOSE)),
            net.jqwik.api.Tuple.of(6, Arbitraries.just(Step.READ)),
            net.jqwik.api.Tuple.of(1, Arbitraries.just(Step.DELETE)),
            net.jqwik.api.Tuple.of(1, Arbitraries.just(Step.RESYNC)))
        .list()
        .ofMaxSize(80);
  }

  @Property(tries = 300)
  void messagesChain_andTheClientEndsOnTheServersState(
      @ForAll("steps") List<Step> steps,
      @ForAll @IntRange(min = 1, max = 5) int queueLimit,
      @ForAll @IntRange(min = 1, max = 6) int maxMergedChanges,
      @ForAll @IntRange(min = 0, max = 3) int startBehind)
      throws Exception {
    try (Chord chord = Chord.builder().deltaThreshold(50).build()) {
      LiveConnectionTest.ManualSink sink = new LiveConnectionTest.ManualSink();
      chord.setContext("room", Map.of("k0", 0));
      for (int i = 1; i <= startBehind; i++) {
        chord.updateContext("room", Map.of("k" + i, i));
      }
      LiveConnection connection =
          new LiveConnection(chord, "room", WireFormat.CHORD, sink, queueLimit, maxMergedChanges);
      SyncResult sync = chord.syncContext("room", 1L);
      connection.start(Json.write(Messages.sync(sync, WireFormat.CHORD)), sync.version());
      Replica replica = new Replica(Map.of("k0", 0), 1);
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
            chord.deleteContext("room");
            connection.resync();
            connection.offer(
                new SharedStep(chord.setContext("room", Map.of("k0", n)).deltaRecord()));
          }
          case RESYNC -> connection.resync();
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
  private static Map<String, Object> message(String json) throws Exception {
    return Http.JSON.readValue(json, LinkedHashMap.class);
  }
}
