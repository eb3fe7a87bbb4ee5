package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.ContextUpdate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The original Chord's published benchmark ({@code bench/chord_benchmark.exs}), reproduced: one
 * iteration sets the team room(s), then runs the actions concurrently and waits for all of them.
 * Action {@code i} does, by {@code i mod 3}: 0 → update one participant's {@code status} to {@code
 * "active_<unique>"}, 1 → update its {@code typing} to {@code unique mod 2 == 0}, 2 → {@code
 * syncContext(id, 1)}.
 *
 * <ul>
 *   <li>{@link Kind#SINGLE}: {@code setContext} of room {@code group:123}, then 50 actions, action
 *       {@code i} (1..50) on participant {@code user_<i mod 50 + 1>}: 51 Chord calls.
 *   <li>{@link Kind#MULTI}: {@code setContext} of rooms {@code group:1..group:100}, then 10 actions
 *       (1..10) on each, each on a random participant: 1,100 Chord calls.
 * </ul>
 *
 * Stateless: the callers call Chord directly. Stateful: every room has a serialized owner ({@link
 * RoomOwner}), as the original's GenServer is one: one action at a time per room. The original's
 * caller sends the room's process a message and waits for the reply, a hand-off per action; ours
 * takes the room's lock and performs the action on its own thread, the cheapest correct
 * serialization. The original runs each action in a BEAM process of its own; here the callers (the
 * iterating thread and the workers of a pool, {@link ScenarioRunner}) claim the actions one by one.
 */
final class Scenarios {
  /** Which of the original's scenarios. */
  enum Kind {
    SINGLE("scenario 1: single context (50 participants)", 1, 50),
    MULTI("scenario 2: 100 contexts × 10 actions", 100, 10);

    final String title;
    final int rooms;
    final int actionsPerRoom;

    Kind(String title, int rooms, int actionsPerRoom) {
      this.title = title;
      this.rooms = rooms;
      this.actionsPerRoom = actionsPerRoom;
    }

    /** Chord calls in one iteration: a set per room and the actions. */
    int callsPerIteration() {
      return rooms * (1 + actionsPerRoom);
    }

    String roomId(int room) {
      return this == SINGLE ? "group:123" : "group:" + room;
    }
  }

  /** What one action did; {@code update} is null for a sync. */
  record Action(int room, String participant, String field, Object value, ContextUpdate update) {}

  /** One room's part of an iteration: its set, its actions and its state once all were done. */
  record RoomRun(
      String contextId, ContextUpdate set, List<Action> actions, dev.chord.Context after) {}

  /** The System.unique_integer of the original. */
  private static final AtomicLong UNIQUE = new AtomicLong();

  private final Kind kind;
  private final Chord chord;
  private final ExecutorService callers;
  private final int workerCount;

  /** One owner per room when stateful, else null. */
  private final RoomOwner @Nullable [] owners;

  /**
   * {@code callers} runs {@code workerCount} workers; with the iterating thread, {@code workerCount
   * + 1} callers perform each iteration's actions.
   */
  Scenarios(
      Kind kind,
      Chord chord,
      ExecutorService callers,
      int workerCount,
      RoomOwner @Nullable [] owners) {
    this.kind = kind;
    this.chord = chord;
    this.callers = callers;
    this.workerCount = workerCount;
    this.owners = owners;
  }

  /** One iteration; returns each room's record for the lost-update check. */
  List<RoomRun> iterate() throws InterruptedException {
    List<ContextUpdate> sets = new ArrayList<>(kind.rooms);
    for (int room = 1; room <= kind.rooms; room++) {
      String id = kind.roomId(room);
      sets.add(chord.setContext(id, TeamRoom.room(id)));
    }
    List<Action> planned = new ArrayList<>(kind.rooms * kind.actionsPerRoom);
    for (int room = 1; room <= kind.rooms; room++) {
      for (int i = 1; i <= kind.actionsPerRoom; i++) {
        int participant =
            kind == Kind.SINGLE ? i % 50 + 1 : ThreadLocalRandom.current().nextInt(1, 51);
        planned.add(plan(room, i, TeamRoom.participant(participant), UNIQUE.incrementAndGet()));
      }
    }
    List<List<Action>> byRoom = new ArrayList<>(kind.rooms);
    for (int room = 0; room < kind.rooms; room++) {
      byRoom.add(new ArrayList<>(kind.actionsPerRoom));
    }
    for (Action done : runConcurrently(planned)) {
      byRoom.get(done.room() - 1).add(done);
    }
    List<RoomRun> runs = new ArrayList<>(kind.rooms);
    for (int room = 1; room <= kind.rooms; room++) {
      String id = kind.roomId(room);
      runs.add(
          new RoomRun(
              id, sets.get(room - 1), byRoom.get(room - 1), chord.getContext(id).orElseThrow()));
    }
    return runs;
  }

  private static Action plan(int room, int index, String participant, long unique) {
    return switch (index % 3) {
      case 0 -> new Action(room, participant, "status", "active_" + unique, null);
      case 1 -> new Action(room, participant, "typing", unique % 2 == 0, null);
      default -> new Action(room, participant, null, null, null);
    };
  }

  /**
   * Performs every planned action on the callers at once: the iterating thread and the pool's
   * workers each claim the next unclaimed action until none is left, so they race on the rooms as
   * the original's processes do, with one hand-off per worker and iteration rather than a task
   * object and a wake-up per action. Returns what each action did, in plan order.
   */
  private List<Action> runConcurrently(List<Action> planned) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    Action[] done = new Action[planned.size()];
    Runnable claim =
        () -> {
          for (int i = next.getAndIncrement(); i < done.length; i = next.getAndIncrement()) {
            done[i] = call(planned.get(i));
          }
        };
    List<Future<?>> workers = new ArrayList<>(workerCount);
    for (int w = 0; w < workerCount; w++) {
      workers.add(callers.submit(claim));
    }
    claim.run();
    for (Future<?> worker : workers) {
      join(worker);
    }
    return Arrays.asList(done);
  }

  /** The action, done directly or as the room's owner. */
  private Action call(Action action) {
    if (owners == null) {
      return perform(action);
    }
    return owners[action.room() - 1].run(() -> perform(action));
  }

  private Action perform(Action action) {
    String id = kind.roomId(action.room());
    if (action.field() == null) {
      chord.syncContext(id, 1L);
      return action;
    }
    Map<String, Object> changes =
        action.field().equals("status")
            ? TeamRoom.statusChange(action.participant(), (String) action.value())
            : TeamRoom.typingChange(action.participant(), (Boolean) action.value());
    ContextUpdate update = chord.updateContext(id, changes);
    return new Action(action.room(), action.participant(), action.field(), action.value(), update);
  }

  private static void join(Future<?> future) throws InterruptedException {
    try {
      future.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("an action failed: " + e.getCause(), e.getCause());
    }
  }
}
