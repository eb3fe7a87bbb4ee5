package dev.chord.bench;

import dev.chord.Chord;
import dev.chord.ContextUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
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
 * serialization. The original runs each action in a BEAM process of its own; here the actions are
 * tasks of a work-stealing pool ({@link ScenarioRunner}).
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

  /** One owner per room when stateful, else null. */
  private final RoomOwner @Nullable [] owners;

  Scenarios(Kind kind, Chord chord, ExecutorService callers, RoomOwner @Nullable [] owners) {
    this.kind = kind;
    this.chord = chord;
    this.callers = callers;
    this.owners = owners;
  }

  /** One iteration; returns each room's record for the lost-update check. */
  List<RoomRun> iterate() throws InterruptedException {
    List<ContextUpdate> sets = new ArrayList<>(kind.rooms);
    for (int room = 1; room <= kind.rooms; room++) {
      String id = kind.roomId(room);
      sets.add(chord.setContext(id, TeamRoom.room(id)));
    }
    List<Future<Action>> running = new ArrayList<>(kind.rooms * kind.actionsPerRoom);
    for (int room = 1; room <= kind.rooms; room++) {
      for (int i = 1; i <= kind.actionsPerRoom; i++) {
        int participant =
            kind == Kind.SINGLE ? i % 50 + 1 : ThreadLocalRandom.current().nextInt(1, 51);
        Action action = plan(room, i, TeamRoom.participant(participant), UNIQUE.incrementAndGet());
        running.add(callers.submit(call(action)));
      }
    }
    List<List<Action>> byRoom = new ArrayList<>(kind.rooms);
    for (int room = 0; room < kind.rooms; room++) {
      byRoom.add(new ArrayList<>(kind.actionsPerRoom));
    }
    for (Future<Action> future : running) {
      Action done = join(future);
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

  /** The caller's task: do the action, directly or as the room's owner. */
  private Callable<Action> call(Action action) {
    if (owners == null) {
      return () -> perform(action);
    }
    RoomOwner owner = owners[action.room() - 1];
    return () -> owner.run(() -> perform(action));
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

  private static <T> T join(Future<T> future) throws InterruptedException {
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("an action failed: " + e.getCause(), e.getCause());
    }
  }
}
