package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import dev.chord.ChordEvent;
import dev.chord.Context;
import dev.chord.DeltaRecord;
import dev.chord.SyncResult;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The per-connection queue: order, merging when full, full-context fallback, resets, epochs, never
 * a hole.
 */
class LiveConnectionTest {
  /** Context reads, of the connection's and the test's own. */
  final AtomicInteger reads = new AtomicInteger();

  /** Runs after every context read, on the reading thread, before the read returns. */
  volatile Runnable afterRead = () -> {};

  /** What the store directory would hand back on restore: the room at version 1. */
  final Chord chord =
      Chord.builder()
          .externalProvider(id -> Optional.of(new Context(id, 1, Map.of("a", "restored"), 0)))
          .listener(
              event -> {
                if (event.operation() == ChordEvent.Operation.GET) {
                  reads.incrementAndGet();
                  afterRead.run();
                }
              })
          .build();

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
    connection.start(
        Json.write(Messages.sync(sync, WireFormat.CHORD)), sync.epoch(), sync.version());
    return connection;
  }

  DeltaRecord update(Map<String, Object> changes) {
    return chord.updateContext("room", changes).deltaRecord();
  }

  void update(LiveConnection connection, Map<String, Object> changes) {
    connection.offer(new SharedStep(update(changes)));
  }

  static Map<String, Object> parse(String json) throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Object> message = Http.JSON.readValue(json, LinkedHashMap.class);
    return message;
  }

  Replica replay() throws Exception {
    Replica replica = new Replica();
    for (String text : sink.sent) {
      replica.apply(parse(text));
    }
    return replica;
  }

  List<String> types() throws Exception {
    List<String> types = new ArrayList<>();
    for (String text : sink.sent) {
      types.add((String) parse(text).get("type"));
    }
    return types;
  }

  Context current() {
    return chord.getContext("room").orElseThrow();
  }

  /** Deletes the room; the reset the hub hands on for that, naming the incarnation deleted. */
  SharedReset delete() {
    String deleted = current().epoch();
    chord.deleteContext("room");
    return SharedReset.of(Optional.empty(), deleted);
  }

  /** Restores the room; the reset the hub hands on for that, naming the incarnation it ended. */
  SharedReset restore() {
    String ended = current().epoch();
    return SharedReset.of(Optional.of(chord.restoreContext("room")), ended);
  }

  Map<String, Object> server() throws Exception {
    return parse(Json.write(current().data()));
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
    assertThat(replica.epoch).isEqualTo(current().epoch());
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

  /** Records what {@link LiveMeters#handedOff} is told. */
  static final class HandOffs implements LiveMeters {
    final List<String> types = new ArrayList<>();
    final List<Long> sinces = new ArrayList<>();
    int merged;
    int coalesced;

    @Override
    public void handedOff(String type, long since) {
      types.add(type);
      sinces.add(since);
    }

    @Override
    public void merged() {
      merged++;
    }

    @Override
    public void coalesced() {
      coalesced++;
    }

    @Override
    public void resynced() {}

    @Override
    public void queued(int depth) {}

    @Override
    public void closed(LiveClose reason) {}
  }

  @Test
  void lateCompletion_sendsTheQueuedChainAsOneMergedPatch_thatAppliesToTheClientsState()
      throws Exception {
    chord.setContext("room", Map.of("people", Map.of("ann", "in")));
    HandOffs meters = new HandOffs();
    LiveConnection connection =
        new LiveConnection(chord, "room", WireFormat.CHORD, sink, 64, 1000, meters);
    SyncResult sync = chord.syncContext("room", null);
    connection.start(
        Json.write(Messages.sync(sync, WireFormat.CHORD)), sync.epoch(), sync.version());
    List<SharedStep> steps = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      steps.add(new SharedStep(update(Map.of("people", Map.of("p" + i % 3, "s" + i)))));
      connection.offer(steps.get(i));
    }
    assertThat(sink.sent).as("the initial message is still in flight").hasSize(1);

    sink.inFlight.poll().run(); // written: everything queued goes as one patch

    assertThat(sink.sent).hasSize(2);
    Map<String, Object> patch = parse(sink.sent.get(1));
    assertThat(patch).containsEntry("type", "patch").containsEntry("fromVersion", 1);
    assertThat(patch).containsEntry("version", 6).containsEntry("epoch", current().epoch());
    assertThat(replay().state).isEqualTo(server());
    assertThat(connection.coalesced()).isEqualTo(1);
    assertThat(connection.merges()).as("no overflow").isZero();
    assertThat(meters.merged).isZero();
    assertThat(meters.coalesced).as("one message carried the five steps").isEqualTo(1);
    assertThat(meters.types).as("the initial message is not counted").containsExactly("patch");
    assertThat(meters.sinces.get(0))
        .as("lag from the oldest commit")
        .isEqualTo(steps.get(0).since());

    // Keeping up again: the next delta goes alone, as soon as it is offered.
    sink.inFlight.poll().run();
    update(connection, Map.of("people", Map.of("bob", "in")));
    assertThat(sink.sent).hasSize(3);
    assertThat(parse(sink.sent.get(2))).containsEntry("fromVersion", 6).containsEntry("version", 7);
    assertThat(replay().state).isEqualTo(server());
  }

  @Test
  void lateCompletion_aMergeOverTheBound_sendsFewerStepsAtATime_neverAFullRead() throws Exception {
    chord.setContext("room", Map.of());
    LiveConnection connection = connect(64, 2);
    for (int i = 0; i < 5; i++) {
      update(connection, Map.of("k" + i, i)); // versions 2..6, one new key each
    }
    int before = reads.get();
    sink.drain();
    List<long[]> spans = new ArrayList<>();
    for (String text : sink.sent.subList(1, sink.sent.size())) {
      Map<String, Object> message = parse(text);
      spans.add(
          new long[] {
            ((Number) message.get("fromVersion")).longValue(),
            ((Number) message.get("version")).longValue()
          });
    }
    // 5 changes > 2: halved to 2 steps; then 3 > 2: halved to 1; then the last 2 fit.
    assertThat(spans).containsExactly(new long[] {1, 3}, new long[] {3, 4}, new long[] {4, 6});
    assertThat(reads.get()).as("no full read").isEqualTo(before);
    assertThat(connection.fullResyncs()).isZero();
    assertThat(replay().state).isEqualTo(server());
  }

  @Test
  void connectionsBehindByTheSameSpan_sendTheSameRenderedString() throws Exception {
    chord.setContext("room", Map.of("a", 0));
    ManualSink other = new ManualSink();
    ManualSink later = new ManualSink();
    ManualSink nested = new ManualSink();
    SyncResult sync = chord.syncContext("room", null);
    String initial = Json.write(Messages.sync(sync, WireFormat.CHORD));
    LiveConnection first = new LiveConnection(chord, "room", WireFormat.CHORD, sink, 64, 1000);
    LiveConnection second = new LiveConnection(chord, "room", WireFormat.CHORD, other, 64, 1000);
    LiveConnection third = new LiveConnection(chord, "room", WireFormat.CHORD, later, 64, 1000);
    LiveConnection fourth = new LiveConnection(chord, "room", WireFormat.NESTED, nested, 64, 1000);
    for (LiveConnection connection : List.of(first, second, third, fourth)) {
      connection.start(initial, sync.epoch(), sync.version());
    }
    List<SharedStep> steps = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      steps.add(new SharedStep(update(Map.of("a", i))));
    }
    for (LiveConnection connection : List.of(first, second, third, fourth)) {
      steps.subList(0, 3).forEach(connection::offer);
    }
    sink.inFlight.poll().run();
    nested.inFlight.poll().run();
    third.offer(steps.get(3)); // queued up to version 5, the others up to version 4
    later.inFlight.poll().run();
    second.offer(steps.get(3));
    other.inFlight.poll().run(); // now also up to version 5, like the third one

    assertThat(sink.sent.get(1)).contains("\"version\":4");
    assertThat(later.sent.get(1)).as("another span: rendered anew").contains("\"version\":5");
    assertThat(other.sent.get(1))
        .as("the same span: the same instance")
        .isSameAs(later.sent.get(1));
    assertThat(nested.sent.get(1)).as("another format").isNotEqualTo(sink.sent.get(1));
    assertThat(first.coalesced() + second.coalesced() + third.coalesced()).isEqualTo(3);
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
  void stallClock_startsWhenAFullContextIsHandedToTheSocket_notBeforeItsRead() throws Exception {
    chord.setContext("room", Map.of());
    LiveConnection connection = connect(2, 3);
    for (int i = 0; i < 10; i++) {
      update(connection, Map.of("k" + i, i));
    }
    assertThat(connection.fullResyncs()).isEqualTo(1);
    long anHourLater = Duration.ofHours(1).toNanos();
    List<Long> duringTheRead = new ArrayList<>();
    afterRead = () -> duringTheRead.add(connection.pendingNanos(System.nanoTime() + anHourLater));

    sink.inFlight.poll().run(); // the initial message is written: the full context is read next

    assertThat(duringTheRead)
        .as("a read, however long, is not a message waiting to be written")
        .containsExactly(0L);
    assertThat(sink.sent).hasSize(2);
    assertThat(connection.pendingNanos(System.nanoTime() + anHourLater))
        .as("the full context, handed to the socket, is in flight")
        .isGreaterThanOrEqualTo(anHourLater);
  }

  @Test
  void deltaThatDoesNotChain_isReplacedByTheFullContext() throws Exception {
    chord.setContext("room", Map.of("a", 1));
    sink.autoComplete = true;
    LiveConnection connection = connect(8, 1000);
    update(Map.of("a", 2)); // version 2: never offered (lost)
    update(connection, Map.of("a", 3)); // version 3 does not follow 1
    Replica replica = replay();
    assertThat(replica.fulls).isEqualTo(2);
    assertThat(replica.version).isEqualTo(3);
    assertThat(replica.state).isEqualTo(server());
  }

  @Test
  void resetAfterDelete_sendsAbsent_thenTheRecreatedContextsCreation() throws Exception {
    chord.setContext("room", Map.of("a", 1));
    sink.autoComplete = true;
    LiveConnection connection = connect(8, 1000);
    connection.reset(delete());
    connection.offer(new SharedStep(chord.setContext("room", Map.of("b", 2)).deltaRecord()));
    assertThat(types()).containsExactly("full", "absent", "patch");
    Replica replica = replay();
    assertThat(replica.state).isEqualTo(Map.of("b", 2));
    assertThat(replica.epoch).isEqualTo(current().epoch());
  }

  /**
   * The other side of skipping a delete the client has passed: a client of another incarnation than
   * the one deleted may also be behind, when the reset discarded what would have brought it there.
   * Here the slow client still holds A; B was created and deleted meanwhile, and the delete of B
   * replaced B's creation in the queue. Skipping it would leave the client at A.
   */
  @Test
  void aDeleteThatDiscardedWhatWasQueued_isSent_evenToAClientOfAnotherIncarnation()
      throws Exception {
    chord.setContext("room", Map.of("a", 1));
    LiveConnection connection = connect(8, 1000); // the initial message stays in flight
    update(connection, Map.of("a", 2));
    connection.reset(delete()); // A's delete replaces A's version 2
    connection.offer(new SharedStep(chord.setContext("room", Map.of("b", 1)).deltaRecord()));
    connection.reset(delete()); // B's delete replaces A's delete and B's creation
    sink.drain();
    assertThat(types()).containsExactly("full", "absent");
    assertThat(replay().epoch).isNull();
  }

  /**
   * A client whose initial sync read the new incarnation B, with the events since it joined still
   * to come: A's last patch, A's delete, B's creation. A's patch is dropped when its turn comes, so
   * replacing it does not make A's delete a reset the client may be behind: it is passed, and the
   * client is never shown "absent" (a batch from the hub queues all three at once).
   */
  @Test
  void aDeleteOfAnIncarnationThePatchesItReplacedWereOf_isSkippedByAClientOfTheNextOne()
      throws Exception {
    chord.setContext("room", Map.of("a", 1));
    SharedStep late = new SharedStep(update(Map.of("a", 2)));
    SharedReset deleted = delete();
    SharedStep created = new SharedStep(chord.setContext("room", Map.of("b", 1)).deltaRecord());
    LiveConnection connection = connect(8, 1000); // reads B; the initial message stays in flight
    connection.deliver(List.of(late, deleted, created));
    sink.drain();
    assertThat(types()).containsExactly("full");
    assertThat(replay().epoch).isEqualTo(current().epoch());
  }

  /**
   * The defect of the raw reset feed: a delta of the old incarnation, still on its way when the
   * restore's full context was sent, chained onto the restored version number and was sent on top
   * of the restored state. Its epoch gives it away now.
   */
  @Test
  void afterARestore_aLateDeltaOfTheOldIncarnation_isDropped() throws Exception {
    chord.setContext("room", Map.of("a", 0));
    sink.autoComplete = true;
    LiveConnection connection = connect(8, 1000);
    DeltaRecord late = update(Map.of("a", "old")); // version 2 of the old epoch, not yet offered
    connection.reset(restore());
    Context restored = current(); // version 1 of a new epoch
    DeltaRecord next = update(Map.of("b", 1)); // version 2 of the new epoch
    connection.offer(new SharedStep(late)); // fromVersion 1: it "chains" by number alone
    connection.offer(new SharedStep(next));

    assertThat(types()).containsExactly("full", "full", "patch");
    assertThat(parse(sink.sent.get(2))).containsEntry("epoch", restored.epoch());
    Replica replica = replay();
    assertThat(replica.epoch).isEqualTo(restored.epoch());
    assertThat(replica.version).isEqualTo(2);
    assertThat(replica.state).isEqualTo(Map.of("a", "restored", "b", 1));
  }

  @Test
  void reset_replacesWhatIsQueued_andAPendingRead_withoutAReadOfItsOwn() throws Exception {
    chord.setContext("room", Map.of());
    LiveConnection connection = connect(2, 1);
    for (int i = 0; i < 6; i++) {
      update(connection, Map.of("k" + i, i)); // overflows: a full read is pending
    }
    assertThat(connection.fullResyncs()).isEqualTo(1);
    connection.reset(restore());
    update(connection, Map.of("after", true));
    int before = reads.get();
    sink.drain();
    assertThat(reads.get()).as("the reset carries its context: no read").isEqualTo(before);
    assertThat(types()).containsExactly("full", "full", "patch");
    Replica replica = replay();
    assertThat(replica.state).isEqualTo(server());
    assertThat(replica.epoch).isEqualTo(current().epoch());
  }

  @Test
  void resetToAStateTheClientHasPassed_isSkipped() throws Exception {
    chord.setContext("room", Map.of("a", 1));
    Context first = current();
    update(Map.of("a", 2));
    sink.autoComplete = true;
    LiveConnection connection = connect(8, 1000); // the client holds version 2
    // a reset older than the initial sync, then one to it (as resyncs within one incarnation)
    connection.reset(SharedReset.of(Optional.of(first), first.epoch()));
    connection.reset(SharedReset.of(Optional.of(current()), first.epoch()));
    assertThat(types()).containsExactly("full");
    connection.reset(delete());
    connection.reset(SharedReset.of(Optional.empty(), null)); // a resync that finds it absent
    assertThat(types()).containsExactly("full", "absent");
  }

  @Test
  void overflowBeforeTheInitialMessage_stillEndsOnTheCurrentState() throws Exception {
    chord.setContext("room", Map.of("a", 0));
    SyncResult sync = chord.syncContext("room", null);
    String initial = Json.write(Messages.sync(sync, WireFormat.CHORD));
    sink.autoComplete = true;
    LiveConnection connection = new LiveConnection(chord, "room", WireFormat.CHORD, sink, 2, 1);
    for (int i = 1; i <= 9; i++) {
      connection.offer(new SharedStep(update(Map.of("k" + i, i))));
    }
    connection.start(initial, sync.epoch(), 1);
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
    connection.reset(delete());
    assertThat(sink.sent).hasSize(1);
  }

  @Test
  void sinkThatThrows_closesTheConnection_withoutThrowingAtTheCaller() {
    chord.setContext("room", Map.of("a", 1));
    LiveConnection.Sink throwing =
        new LiveConnection.Sink() {
          @Override
          public void send(String text, Runnable done, Consumer<Throwable> failed) {
            throw new IllegalStateException("the socket is gone");
          }

          @Override
          public void close(int code, String reason) {
            sink.close(code, reason);
          }
        };
    LiveConnection connection =
        new LiveConnection(chord, "room", WireFormat.CHORD, throwing, 8, 1000);
    connection.start("{}", current().epoch(), 1);
    update(connection, Map.of("a", 2));
    assertThat(sink.closedWith).isEqualTo(1011);
  }
}
