package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.BackendException;
import dev.chord.Chord;
import dev.chord.ChordEvent;
import dev.chord.Context;
import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.Feed;
import dev.chord.spi.ForwardingBackend;
import dev.chord.spi.History;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hub over a real in-memory Chord, with its fan-out run by the test ({@link ManualExecutor}),
 * so that what is queued where, and when it is drained, is decided by each test: the order of
 * deltas and resets, a connection that throws, a backend that fails while a connection opens.
 */
class LiveHubTest {
  final FlakyBackend backend = new FlakyBackend();
  final AtomicInteger reads = new AtomicInteger();
  final Chord chord =
      Chord.builder()
          .backend(backend)
          .externalProvider(id -> Optional.of(new Context(id, 1, Map.of("n", "restored"), 0)))
          .listener(
              event -> {
                if (event.operation() == ChordEvent.Operation.GET) {
                  reads.incrementAndGet();
                }
              })
          .build();
  final ManualExecutor fanout = new ManualExecutor();

  @AfterEach
  void close() {
    chord.close();
  }

  /** A hub whose topics have one shard: every connection is fed by the same drain. */
  LiveHub hub() {
    return new LiveHub(chord, 64, 1000, fanout, 1);
  }

  /** Runs submitted tasks when told to, on the test's thread; a task that throws is recorded. */
  static final class ManualExecutor extends AbstractExecutorService {
    final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    final List<Throwable> failures = new ArrayList<>();
    boolean shutdown;

    @Override
    public void execute(Runnable task) {
      if (shutdown) {
        throw new RejectedExecutionException("shut down");
      }
      tasks.add(task);
    }

    /** Runs every task, and those they submit, as pool threads would. */
    void runAll() {
      Runnable task;
      while ((task = tasks.poll()) != null) {
        try {
          task.run();
        } catch (RuntimeException | Error e) {
          failures.add(e);
        }
      }
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown = true;
      List<Runnable> left = new ArrayList<>(tasks);
      tasks.clear();
      return left;
    }

    @Override
    public boolean isShutdown() {
      return shutdown;
    }

    @Override
    public boolean isTerminated() {
      return shutdown && tasks.isEmpty();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return isTerminated();
    }
  }

  /** An in-memory backend whose next call of one kind fails, and that counts open feeds. */
  static final class FlakyBackend extends ForwardingBackend {
    final AtomicInteger openFeeds = new AtomicInteger();
    final AtomicInteger subscribesToFail = new AtomicInteger();
    volatile String failNext;

    /** Runs once, just before the next history read: what commits while a sync is on its way. */
    volatile Runnable beforeNextHistory;

    FlakyBackend() {
      super(InMemoryBackend.create());
    }

    private void maybeFail(String call) {
      if (call.equals(failNext)) {
        failNext = null;
        throw new BackendException("injected failure of " + call);
      }
    }

    @Override
    public Optional<Context> get(String contextId) {
      maybeFail("get");
      return super.get(contextId);
    }

    @Override
    public Optional<History> history(String contextId, long afterVersion, int maxDeltas) {
      maybeFail("history");
      Runnable hook = beforeNextHistory;
      beforeNextHistory = null;
      if (hook != null) {
        hook.run();
      }
      return super.history(contextId, afterVersion, maxDeltas);
    }

    @Override
    public AutoCloseable subscribe(String contextId, Feed feed) {
      if (subscribesToFail.get() > 0 && subscribesToFail.decrementAndGet() == 0) {
        throw new BackendException("injected failure of subscribe");
      }
      AutoCloseable feedHandle = super.subscribe(contextId, feed);
      openFeeds.incrementAndGet();
      AtomicBoolean closed = new AtomicBoolean();
      return () -> {
        if (closed.compareAndSet(false, true)) {
          openFeeds.decrementAndGet();
          feedHandle.close();
        }
      };
    }
  }

  /** A client that reads at once, keeping every message as sent (the same String objects). */
  static class Client implements LiveConnection.Sink {
    final List<String> sent = Collections.synchronizedList(new ArrayList<>());
    int closedWith;

    @Override
    public void send(String text, Runnable done, Consumer<Throwable> failed) {
      sent.add(text);
      done.run();
    }

    @Override
    public void close(int code, String reason) {
      closedWith = code;
    }

    Replica replay() throws Exception {
      Replica replica = new Replica();
      for (String text : List.copyOf(sent)) {
        replica.apply(LiveConnectionTest.parse(text));
      }
      return replica;
    }
  }

  /** A client whose socket throws on every message after the first. */
  static final class Throwing extends Client {
    private final java.util.function.Supplier<? extends Throwable> failure;

    Throwing(java.util.function.Supplier<? extends Throwable> failure) {
      this.failure = failure;
    }

    @Override
    public void send(String text, Runnable done, Consumer<Throwable> failed) {
      if (!sent.isEmpty()) {
        Throwable t = failure.get();
        if (t instanceof Error e) {
          throw e;
        }
        throw (RuntimeException) t;
      }
      super.send(text, done, failed);
    }
  }

  static final ClientState NOTHING = new ClientState(null, null);

  Map<String, Object> server() throws Exception {
    return LiveConnectionTest.parse(Json.write(chord.getContext("room").orElseThrow().data()));
  }

  String epoch() {
    return chord.getContext("room").orElseThrow().epoch();
  }

  /**
   * The defect of handling resets on a feed of their own: the restore's full context went out at
   * once while a delta of the old incarnation still waited in the fan-out queue, and that delta
   * (version 2, "from 1" like the restored version 1) was then sent on top of the restored state.
   * Now the reset waits behind it in the same queue.
   */
  @Test
  void restore_neverLetsAQueuedDeltaOfTheOldIncarnationOvertakeIt() throws Exception {
    chord.setContext("room", Map.of("n", 0));
    LiveHub hub = hub();
    Client client = new Client();
    hub.open("room", WireFormat.CHORD, NOTHING, client);

    chord.updateContext("room", Map.of("n", "old")); // queued, not yet fanned out
    chord.restoreContext("room");
    chord.updateContext("room", Map.of("m", 1)); // version 2 of the new incarnation
    fanout.runAll();

    Replica replica = client.replay(); // refuses a patch of another epoch or version
    assertThat(replica.epoch).isEqualTo(epoch());
    assertThat(replica.version).isEqualTo(2);
    assertThat(replica.state).isEqualTo(server()).isEqualTo(Map.of("n", "restored", "m", 1));
  }

  /**
   * The join race across incarnations: a connection joins while the room is incarnation A; A is
   * deleted and B created before its initial sync reads, so the sync already hands the client B v1,
   * while its queue holds A's delete and B's creation. Both are stale. A's delete used to be sent
   * anyway (an "absent" reset could not tell which incarnation it ended), and the client flickered:
   * B, then absent, then B again from its creation patch.
   */
  @Test
  void aDeleteTheInitialSyncHasPassed_isNotSent() throws Exception {
    chord.setContext("room", Map.of("n", "A"));
    String a = epoch();
    LiveHub hub = hub();
    Client client = new Client();
    backend.beforeNextHistory =
        () -> {
          chord.deleteContext("room");
          chord.setContext("room", Map.of("n", "B"));
        };
    hub.open("room", WireFormat.CHORD, new ClientState(1L, a), client);
    assertThat(epoch()).isNotEqualTo(a);
    assertThat(LiveConnectionTest.parse(client.sent.get(0)))
        .containsEntry("type", "full")
        .containsEntry("epoch", epoch())
        .containsEntry("version", 1);

    fanout.runAll();
    assertThat(client.sent).as("nothing the client has not got already").hasSize(1);

    chord.deleteContext("room"); // B's own delete is news
    fanout.runAll();
    assertThat(client.sent).hasSize(2);
    assertThat(LiveConnectionTest.parse(client.sent.get(1))).containsEntry("type", "absent");
  }

  /**
   * A fan-out that fell behind (commits queued in the inbox) hands each connection all of them at
   * once: one merged patch per client, rendered once for all, instead of one write per commit per
   * client. A reset among them still replaces what came before it.
   */
  @Test
  void commitsQueuedInTheInbox_goToEachClientAsOneMergedPatch_renderedOnce() throws Exception {
    chord.setContext("room", Map.of("n", 0));
    LiveHub hub = hub();
    List<Client> clients = List.of(new Client(), new Client(), new Client());
    for (Client client : clients) {
      hub.open("room", WireFormat.CHORD, NOTHING, client);
    }
    for (int i = 1; i <= 5; i++) {
      chord.updateContext("room", Map.of("n", i, "k" + i, i));
    }
    fanout.runAll();
    String merged = clients.get(0).sent.get(1);
    assertThat(LiveConnectionTest.parse(merged))
        .containsEntry("type", "patch")
        .containsEntry("fromVersion", 1)
        .containsEntry("version", 6);
    for (Client client : clients) {
      assertThat(client.sent).hasSize(2);
      assertThat(client.sent.get(1)).isSameAs(merged);
      assertThat(client.replay().state).isEqualTo(server());
    }

    chord.updateContext("room", Map.of("n", "lost in the restore"));
    chord.restoreContext("room");
    chord.updateContext("room", Map.of("m", 1));
    fanout.runAll();
    for (Client client : clients) {
      assertThat(client.sent).as("the restore, then its next version").hasSize(4);
      Replica replica = client.replay();
      assertThat(replica.epoch).isEqualTo(epoch());
      assertThat(replica.state).isEqualTo(server());
    }
  }

  @Test
  void reset_isRenderedOnceForEveryConnection_fromTheContextItCarries() throws Exception {
    chord.setContext("room", Map.of("n", 0));
    LiveHub hub = new LiveHub(chord, 64, 1000, fanout, 2);
    List<Client> clients = List.of(new Client(), new Client(), new Client());
    for (Client client : clients) {
      hub.open("room", WireFormat.CHORD, NOTHING, client);
    }
    int before = reads.get();
    chord.restoreContext("room");
    fanout.runAll();
    assertThat(reads.get()).as("no read per connection").isEqualTo(before);
    String first = clients.get(0).sent.get(1);
    assertThat(LiveConnectionTest.parse(first))
        .containsEntry("type", "full")
        .containsEntry("epoch", epoch());
    for (Client client : clients) {
      assertThat(client.sent).hasSize(2);
      assertThat(client.sent.get(1)).isSameAs(first);
    }

    chord.deleteContext("room");
    fanout.runAll();
    for (Client client : clients) {
      assertThat(LiveConnectionTest.parse(client.sent.get(2))).containsEntry("type", "absent");
    }
  }

  /**
   * One connection whose socket throws must not stop the others of its shard: before, the exception
   * left the drain with its flag set for ever, and nothing was fanned out again.
   */
  @Test
  void aConnectionThatThrows_doesNotStopItsShard() throws Exception {
    chord.setContext("room", Map.of("n", 0));
    LiveHub hub = hub();
    Client before = new Client();
    Throwing throwing = new Throwing(() -> new IllegalStateException("socket gone"));
    Client after = new Client();
    hub.open("room", WireFormat.CHORD, NOTHING, before);
    hub.open("room", WireFormat.CHORD, NOTHING, throwing);
    hub.open("room", WireFormat.CHORD, NOTHING, after);
    for (int i = 1; i <= 3; i++) {
      chord.updateContext("room", Map.of("n", i));
      fanout.runAll();
    }
    for (Client client : List.of(before, after)) {
      Replica replica = client.replay();
      assertThat(replica.version).isEqualTo(4);
      assertThat(replica.state).isEqualTo(server());
    }
    assertThat(throwing.closedWith).as("the broken socket is closed").isEqualTo(1011);
  }

  /**
   * Even an Error out of a connection ends the drain properly: the flag is released and what is
   * still queued is drained by a fresh task.
   */
  @Test
  void anErrorInTheDrain_releasesItAndTheRestIsStillFannedOut() throws Exception {
    chord.setContext("room", Map.of("n", 0));
    LiveHub hub = hub();
    Client before = new Client();
    Throwing throwing = new Throwing(() -> new AssertionError("injected"));
    Client after = new Client();
    hub.open("room", WireFormat.CHORD, NOTHING, before);
    hub.open("room", WireFormat.CHORD, NOTHING, throwing);
    hub.open("room", WireFormat.CHORD, NOTHING, after);
    chord.updateContext("room", Map.of("n", 1));
    chord.updateContext("room", Map.of("n", 2)); // both queued in one inbox
    fanout.runAll();
    assertThat(fanout.failures).hasSize(1).first().isInstanceOf(AssertionError.class);
    for (Client client : List.of(before, after)) {
      Replica replica = client.replay();
      assertThat(replica.version).isEqualTo(3);
      assertThat(replica.state).isEqualTo(server());
    }
  }

  /**
   * Whichever backend subscription of an open fails, nothing stays behind. (The hub used to open
   * two per context, Chord's and a raw one for resets, the second inside the map's compute; when
   * the second failed, the first was never closed.)
   */
  @Test
  void open_whicheverSubscribeFails_leavesNothingBehind_andTheNextOpenWorks() throws Exception {
    for (int failing = 1; failing <= 2; failing++) {
      backend.subscribesToFail.set(failing);
      LiveHub hub = hub();
      try {
        hub.close(hub.open("room", WireFormat.CHORD, NOTHING, new Client()));
      } catch (BackendException e) {
        assertThat(e).hasMessageContaining("injected");
      }
      backend.subscribesToFail.set(0);
      assertThat(hub.topicCount()).as("subscribe call %d failing", failing).isZero();
      assertThat(hub.connectionCount()).isZero();
      assertThat(backend.openFeeds.get()).as("no subscription leaked").isZero();
      opensAndFollows(hub);
    }
  }

  @Test
  void open_whenTheSubscriptionsFirstReadFails_leavesNothingBehind() throws Exception {
    backend.failNext = "get"; // the subscription reads the stored state once registered
    LiveHub hub = hub();
    assertThatThrownBy(() -> hub.open("room", WireFormat.CHORD, NOTHING, new Client()))
        .isInstanceOf(BackendException.class);
    assertThat(hub.topicCount()).isZero();
    assertThat(backend.openFeeds.get()).isZero();
    opensAndFollows(hub);
  }

  @Test
  void open_whenTheInitialSyncFails_closesTheSubscription() throws Exception {
    chord.setContext("room", Map.of("n", 0));
    LiveHub hub = hub();
    backend.failNext = "history";
    ClientState atOne = new ClientState(1L, epoch());
    assertThatThrownBy(() -> hub.open("room", WireFormat.CHORD, atOne, new Client()))
        .isInstanceOf(BackendException.class);
    assertThat(hub.topicCount()).isZero();
    assertThat(backend.openFeeds.get()).isZero();
    opensAndFollows(hub);
  }

  /** A connection opened on {@code hub} follows the next change; closing it ends everything. */
  private void opensAndFollows(LiveHub hub) throws Exception {
    Client client = new Client();
    LiveConnection connection = hub.open("room", WireFormat.CHORD, NOTHING, client);
    assertThat(backend.openFeeds.get()).isEqualTo(1);
    chord.setContext("room", Map.of("n", "next"));
    fanout.runAll();
    assertThat(client.replay().state).isEqualTo(server());
    hub.close(connection);
    assertThat(hub.topicCount()).isZero();
    assertThat(backend.openFeeds.get()).isZero();
  }

  @Test
  void oneSubscriptionPerContext_theLastConnectionOutEndsIt() {
    LiveHub hub = hub();
    LiveConnection a = hub.open("room", WireFormat.CHORD, NOTHING, new Client());
    LiveConnection b = hub.open("room", WireFormat.CHORD, NOTHING, new Client());
    LiveConnection other = hub.open("other", WireFormat.CHORD, NOTHING, new Client());
    assertThat(backend.openFeeds.get()).isEqualTo(2);
    assertThat(hub.connectionCount()).isEqualTo(3);
    hub.close(a);
    hub.close(a); // twice: harmless
    assertThat(backend.openFeeds.get()).isEqualTo(2);
    hub.close(b);
    assertThat(backend.openFeeds.get()).isEqualTo(1);
    hub.close(other);
    assertThat(backend.openFeeds.get()).isZero();
    assertThat(hub.topicCount()).isZero();
  }

  /** Connections of one context opening and closing on many threads at once: nothing leaks. */
  @Test
  void concurrentOpensAndCloses_leaveNoTopicAndNoSubscription() throws Exception {
    LiveHub hub = new LiveHub(chord, 64, 1000, Executors.newFixedThreadPool(2), 2);
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        done.add(
            threads.submit(
                () -> {
                  for (int i = 0; i < 500; i++) {
                    hub.close(hub.open("room", WireFormat.CHORD, NOTHING, new Client()));
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      assertThat(hub.topicCount()).isZero();
      assertThat(hub.connectionCount()).isZero();
      assertThat(backend.openFeeds.get()).isZero();
    } finally {
      threads.shutdownNow();
      hub.close();
    }
  }
}
