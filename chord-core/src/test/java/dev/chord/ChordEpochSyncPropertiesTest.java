package dev.chord;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.memory.InMemoryBackend;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Random histories of set, update, delete, re-create, export, restore and TTL cleanup through two
 * nodes (one in seconds, one in milliseconds, each with its own delta threshold) on one in-memory
 * store, with a client that syncs at random points by {@code syncContext(id, version, epoch)} and
 * applies what it gets. Whatever happened in between, the client ends each sync exactly at the
 * stored state, and never gets a Patch or NoChange for another incarnation than the one it holds.
 * Seeded: a failure names its seed, {@code -Dchord.seed=<seed>} replays it.
 */
class ChordEpochSyncPropertiesTest {
  private static final String ID = "doc";
  private static final int HISTORIES = 300;
  private static final int STEPS = 60;

  /** Syncs where the client held the stored version of another incarnation, over all runs. */
  private static final AtomicInteger SAME_VERSION_OTHER_EPOCH = new AtomicInteger();

  /** What the client holds: nothing ({@code data == null}) or one state of one incarnation. */
  private static final class Client {
    String epoch;
    long version;
    Map<String, Object> data;

    void hold(String epoch, long version, Map<String, Object> data) {
      this.epoch = epoch;
      this.version = version;
      this.data = data;
    }

    @Override
    public String toString() {
      return data == null ? "nothing" : epoch + " v" + version + " " + data;
    }
  }

  @Test
  void clientSyncingAtRandomPoints_endsAtTheStoredState_neverPatchedAcrossIncarnations() {
    SAME_VERSION_OTHER_EPOCH.set(0);
    RandomRuns.repeat(HISTORIES, ChordEpochSyncPropertiesTest::history);
    if (Long.getLong("chord.seed") == null) {
      assertThat(SAME_VERSION_OTHER_EPOCH.get())
          .as("histories where only the epoch tells the client it is behind")
          .isPositive();
    }
  }

  private static Chord node(
      InMemoryBackend shared,
      MutableClock clock,
      ChronoUnit unit,
      int threshold,
      AtomicReference<Context> saved) {
    return Chord.builder()
        .backend(shared)
        .clock(clock)
        .timeUnit(unit)
        .deltaThreshold(threshold)
        .deltaTtl(Duration.ofMinutes(10))
        .contextTtl(Duration.ofMinutes(30))
        .contextAutoDelete(true)
        .exporter(saved::set)
        .externalProvider(id -> Optional.ofNullable(saved.get()))
        .build();
  }

  private static void history(Random random) {
    InMemoryBackend shared = InMemoryBackend.create();
    MutableClock clock = MutableClock.start();
    AtomicReference<Context> saved = new AtomicReference<>();
    List<String> log = new ArrayList<>();
    Client client = new Client();
    try (Chord seconds = node(shared, clock, ChronoUnit.SECONDS, 1 + random.nextInt(6), saved);
        Chord millis = node(shared, clock, ChronoUnit.MILLIS, 1 + random.nextInt(6), saved)) {
      for (int step = 0; step < STEPS; step++) {
        Chord node = random.nextBoolean() ? seconds : millis;
        log.add((node == seconds ? "s:" : "m:") + step(node, random, clock, saved, client));
        assertThat(shared.get(ID).map(Context::epoch).map(Epochs::isValid).orElse(true)).isTrue();
      }
      log.add("final " + sync(millis, random, client));
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("after " + String.join(", ", log) + ": " + e.getMessage(), e);
    }
  }

  /** One random operation; returns what it did, for the failure message. */
  private static String step(
      Chord node,
      Random random,
      MutableClock clock,
      AtomicReference<Context> saved,
      Client client) {
    int op = random.nextInt(100);
    try {
      if (op < 25) {
        return "update v" + node.updateContext(ID, RandomRuns.map(random, 2)).context().version();
      } else if (op < 37) {
        return "set v" + node.setContext(ID, RandomRuns.map(random, 2)).context().version();
      } else if (op < 43) {
        node.deleteContext(ID);
        return "delete";
      } else if (op < 51) {
        node.deleteContext(ID);
        node.setContext(ID, RandomRuns.map(random, 1));
        return "re-create";
      } else if (op < 57) {
        node.exportContext(ID);
        return "export v" + saved.get().version();
      } else if (op < 61) {
        saved.set(new Context(ID, 1 + random.nextInt(4), RandomRuns.map(random, 1), 0));
        return "restore v" + node.restoreContext(ID).version();
      } else if (op < 66) {
        return "restore exported v" + node.restoreContext(ID).version();
      } else if (op < 72) {
        clock.advance(Duration.ofMinutes(random.nextInt(40)));
        return "wait+cleanup " + node.cleanup();
      } else {
        return "sync " + sync(node, random, client);
      }
    } catch (ContextNotFoundException e) {
      return "not found (op " + op + ")";
    }
  }

  /** Syncs the client through {@code node}, applies the answer, checks it is at the stored state. */
  private static String sync(Chord node, Random random, Client client) {
    Optional<Context> stored = node.getContext(ID);
    if (client.data != null
        && stored.isPresent()
        && stored.get().version() == client.version
        && !stored.get().epoch().equals(client.epoch)) {
      SAME_VERSION_OTHER_EPOCH.incrementAndGet();
    }
    String before = client.toString();
    SyncResult result;
    try {
      result =
          client.data != null
              ? node.syncContext(ID, client.version, client.epoch)
              : random.nextBoolean()
                  ? node.syncContext(ID, 0, null)
                  : node.syncContext(ID, (Long) null);
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
      Map<String, Object> base = client.data == null ? Map.of() : client.data;
      client.hold(patch.epoch(), patch.version(), patch.delta().applyTo(base));
    } else {
      SyncResult.NoChange none = (SyncResult.NoChange) result;
      assertThat(client.data).as("no change for a client with nothing").isNotNull();
      assertThat(none.epoch()).as("no change across incarnations").isEqualTo(client.epoch);
      assertThat(none.version()).isEqualTo(client.version);
    }
  }
}
