package dev.chord.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.ContextListener;
import dev.chord.ContextNotFoundException;
import dev.chord.Epochs;
import dev.chord.Subscription;
import dev.chord.SyncResult;
import dev.chord.spi.Backend;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Syncing by epoch, as a property of the backend: random histories of set, update, delete,
 * re-create, export, restore and TTL cleanup with auto-delete through two nodes on one store (one
 * on the test's backend, one on its peer; one in seconds, one in milliseconds, each with its own
 * delta threshold). A client syncs at random points through either node by {@code syncContext(id,
 * version, epoch)} and applies what it gets; a {@link ContextListener} on the peer applies every
 * event by the listener rule.
 *
 * <p>After every sync the client holds exactly the stored (epoch, version, data), and it is never
 * sent a Patch or NoChange of another incarnation than the one it holds; at the end of a history
 * the listener reaches the stored state. Across the runs some sync must find the client at the
 * stored version of another incarnation, where only the epoch tells it that it is behind.
 *
 * <p>Seeded: a failure names its seed and {@code -Dchord.seed=<seed>} replays that history.
 */
final class EpochSyncProperty {
  private static final int STEPS = 60;

  /** Few keys, so that edits collide; some look like delta or JSON Pointer syntax. */
  private static final String[] KEYS = {"a", "b", "n", "a/b", "~1", "", "ü", "{t}"};

  /** Values a backend must store with their types: edge numbers and text besides small ones. */
  private static final List<Object> ODD_VALUES =
      List.of(Long.MIN_VALUE, (1L << 53) + 1, new BigDecimal("1.50"), 1.0, "ü ✓ \"q\"");

  /** With a millisecond part, so that the seconds node and the millisecond node differ. */
  private static final Instant START = Instant.parse("2026-01-01T00:00:00.250Z");

  private final Backend backend;
  private final Supplier<Backend> peers;
  private final Function<String, String> ids;
  private final Duration deliveryTimeout;

  /** Syncs so far where the client held the stored version of another incarnation. */
  private int sameVersionOtherEpoch;

  /**
   * @param backend the store; the property leaves it open
   * @param peers opens a second node's backend over the same store; each history closes its own
   * @param ids a unique context id for a name
   * @param deliveryTimeout how long the listener may take to reach the stored state
   */
  EpochSyncProperty(
      Backend backend,
      Supplier<Backend> peers,
      Function<String, String> ids,
      Duration deliveryTimeout) {
    this.backend = backend;
    this.peers = peers;
    this.ids = ids;
    this.deliveryTimeout = deliveryTimeout;
  }

  /** Runs {@code runs} histories of random seeds, or the one of {@code chord.seed} if it is set. */
  void check(int runs) {
    Long replay = Long.getLong("chord.seed");
    Random seeds = new Random(new SecureRandom().nextLong());
    for (int run = 0; run < (replay == null ? runs : 1); run++) {
      long seed = replay == null ? seeds.nextLong() : replay;
      try {
        history(new Random(seed), ids.apply("epoch-sync-" + run));
      } catch (RuntimeException | AssertionError e) {
        String message = "failed with seed " + seed + "; replay with -Dchord.seed=" + seed;
        System.err.println(message);
        throw new AssertionError(message + ": " + e.getMessage(), e);
      }
    }
    if (replay == null) {
      assertThat(sameVersionOtherEpoch)
          .as("syncs where only the epoch tells the client it is behind, in %d histories", runs)
          .isPositive();
    }
  }

  /**
   * The stacks of Chord's and the client library's threads when a listener does not reach the
   * stored state: it is either waiting for a message that never came or stuck in a read. Taken
   * while the history's nodes are still open (closing them ends their threads).
   */
  private static String chordThreads() {
    StringBuilder dump = new StringBuilder("threads at the failure:\n");
    Thread.getAllStackTraces()
        .forEach(
            (thread, stack) -> {
              if (thread.getName().startsWith("chord-")
                  || thread.getName().startsWith("lettuce-")) {
                dump.append(thread.getName()).append(' ').append(thread.getState()).append('\n');
                for (StackTraceElement frame : stack) {
                  dump.append("    at ").append(frame).append('\n');
                }
              }
            });
    return dump.toString();
  }

  /** What the client holds: nothing ({@code data == null}) or one state of one incarnation. */
  private static final class Client {
    @Nullable String epoch;
    long version;
    @Nullable Map<String, @Nullable Object> data;

    void hold(@Nullable String epoch, long version, @Nullable Map<String, @Nullable Object> data) {
      this.epoch = epoch;
      this.version = version;
      this.data = data;
    }

    @Override
    public String toString() {
      return data == null ? "nothing" : epoch + " v" + version + " " + data;
    }
  }

  /** Everything one history uses. */
  private record Run(
      String id,
      Random random,
      HandClock clock,
      AtomicReference<@Nullable Context> saved,
      Client client) {}

  private void history(Random random, String id) {
    Run run = new Run(id, random, new HandClock(START), new AtomicReference<>(), new Client());
    boolean ownInSeconds = random.nextBoolean();
    Follower follower = new Follower();
    List<String> log = new ArrayList<>();
    try (Chord own = node(new BackendContractTest.Unclosed(backend), ownInSeconds, run);
        Chord peer = node(peers.get(), !ownInSeconds, run);
        Subscription subscription = peer.subscribe(id, follower)) {
      for (int step = 0; step < STEPS; step++) {
        boolean onPeer = random.nextBoolean();
        log.add((onPeer ? "peer: " : "own: ") + step(onPeer ? peer : own, run));
        assertThat(backend.get(id).map(Context::epoch).map(Epochs::isValid).orElse(true))
            .as("a valid stored epoch")
            .isTrue();
      }
      log.add("final " + sync(random.nextBoolean() ? own : peer, run));
      awaitAt(follower, id);
      // The listener may have matched before it saw every event. Only the last event can take it
      // to the state after this write, and events come in one order: there, it has seen them all.
      log.add("marker v" + own.setContext(id, Map.of("end", true)).context().version());
      awaitAt(follower, id);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("after " + String.join(", ", log) + ": " + e.getMessage(), e);
    } finally {
      backend.delete(id);
    }
  }

  private void awaitAt(Follower follower, String id) {
    try {
      await()
          .atMost(deliveryTimeout)
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(5))
          .pollInSameThread()
          .untilAsserted(() -> follower.assertAt(backend.get(id)));
    } catch (ConditionTimeoutException e) {
      System.err.println(chordThreads());
      throw e;
    }
  }

  private static Chord node(Backend on, boolean inSeconds, Run run) {
    return Chord.builder()
        .backend(on)
        .clock(run.clock())
        .timeUnit(inSeconds ? ChronoUnit.SECONDS : ChronoUnit.MILLIS)
        .deltaThreshold(1 + run.random().nextInt(6))
        .deltaTtl(Duration.ofMinutes(10))
        .contextTtl(Duration.ofMinutes(30))
        .contextAutoDelete(true)
        .exporter(run.saved()::set)
        .externalProvider(contextId -> Optional.ofNullable(run.saved().get()))
        .build();
  }

  /** One random operation; returns what it did, for the failure message. */
  private String step(Chord node, Run run) {
    Random random = run.random();
    String id = run.id();
    run.clock().advance(Duration.ofMillis(random.nextInt(700)));
    int op = random.nextInt(100);
    try {
      if (op < 25) {
        return "update v" + node.updateContext(id, map(random, 2)).context().version();
      } else if (op < 37) {
        return "set v" + node.setContext(id, map(random, 2)).context().version();
      } else if (op < 43) {
        node.deleteContext(id);
        return "delete";
      } else if (op < 51) {
        node.deleteContext(id);
        return "re-create v" + node.setContext(id, map(random, 1)).context().version();
      } else if (op < 57) {
        node.exportContext(id);
        return "export v" + run.saved().get().version();
      } else if (op < 61) {
        run.saved().set(new Context(id, 1 + random.nextInt(4), map(random, 1), 0));
        return "restore v" + node.restoreContext(id).version();
      } else if (op < 66) {
        return "restore exported v" + node.restoreContext(id).version();
      } else if (op < 72) {
        run.clock().advance(Duration.ofMinutes(random.nextInt(40)));
        return "wait+cleanup " + node.cleanup();
      } else {
        return "sync " + sync(node, run);
      }
    } catch (ContextNotFoundException e) {
      return "not found (op " + op + ")";
    }
  }

  /** Syncs the client through {@code node}, applies the answer, checks it is at the stored one. */
  private String sync(Chord node, Run run) {
    Client client = run.client();
    Optional<Context> stored = backend.get(run.id());
    if (client.data != null
        && stored.isPresent()
        && stored.get().version() == client.version
        && !stored.get().epoch().equals(client.epoch)) {
      sameVersionOtherEpoch++;
    }
    String before = client.toString();
    SyncResult result;
    try {
      result =
          client.data != null
              ? node.syncContext(run.id(), client.version, client.epoch)
              : run.random().nextBoolean()
                  ? node.syncContext(run.id(), 0, null)
                  : node.syncContext(run.id(), (Long) null);
    } catch (ContextNotFoundException e) {
      assertThat(stored).as("sync said not found").isEmpty();
      client.hold(null, 0, null);
      return "not found";
    }
    apply(client, result);
    Context current = stored.orElseThrow(() -> new AssertionError("synced an absent context"));
    String what = result + " applied to " + before;
    assertThat(client.epoch).as("epoch after %s", what).isEqualTo(current.epoch());
    assertThat(client.version).as("version after %s", what).isEqualTo(current.version());
    assertThat(client.data).as("data after %s", what).isEqualTo(current.data());
    return result.getClass().getSimpleName() + " to " + client;
  }

  private static void apply(Client client, SyncResult result) {
    assertThat(Epochs.isValid(result.epoch())).as("epoch of %s", result).isTrue();
    if (result instanceof SyncResult.Full full) {
      client.hold(full.epoch(), full.version(), full.context().data());
    } else if (result instanceof SyncResult.Patch patch) {
      if (client.data == null) {
        assertThat(patch.fromVersion()).as("patch for a client with nothing").isZero();
      } else {
        assertThat(patch.epoch()).as("patch across incarnations").isEqualTo(client.epoch);
        assertThat(patch.fromVersion()).as("patch from another version").isEqualTo(client.version);
      }
      Map<String, @Nullable Object> base = client.data == null ? Map.of() : client.data;
      client.hold(patch.epoch(), patch.version(), patch.delta().applyTo(base));
    } else {
      SyncResult.NoChange none = (SyncResult.NoChange) result;
      assertThat(client.data).as("no change for a client with nothing").isNotNull();
      assertThat(none.epoch()).as("no change across incarnations").isEqualTo(client.epoch);
      assertThat(none.version()).as("version of no change").isEqualTo(client.version);
    }
  }

  /** A small JSON-like map, nested up to {@code depth}. */
  private static Map<String, @Nullable Object> map(Random random, int depth) {
    Map<String, @Nullable Object> map = new LinkedHashMap<>();
    int size = random.nextInt(4);
    for (int i = 0; i < size; i++) {
      map.put(KEYS[random.nextInt(KEYS.length)], value(random, depth - 1));
    }
    return map;
  }

  private static @Nullable Object value(Random random, int depth) {
    return switch (random.nextInt(depth > 0 ? 8 : 6)) {
      case 0 -> (long) random.nextInt(5);
      case 1 -> "s" + random.nextInt(3);
      case 2 -> random.nextBoolean();
      case 3 -> random.nextInt(3) / 2.0;
      case 4 -> random.nextInt(4) == 0 ? null : ODD_VALUES.get(random.nextInt(ODD_VALUES.size()));
      case 5 -> List.of();
      case 6 -> map(random, depth);
      default -> list(random, depth);
    };
  }

  private static List<@Nullable Object> list(Random random, int depth) {
    List<@Nullable Object> list = new ArrayList<>();
    int size = random.nextInt(3);
    for (int i = 0; i < size; i++) {
      list.add(value(random, depth - 1));
    }
    return list;
  }

  /** A clock the history moves by hand, so that TTLs expire without sleeping. */
  private static final class HandClock extends Clock {
    private volatile Instant now;

    HandClock(Instant start) {
      this.now = start;
    }

    /** Only the history's thread moves it; deliveries on other threads read it. */
    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("the property runs in UTC");
    }
  }
}
