package dev.chord.bench;

import dev.chord.ContextUpdate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks that one room's iteration lost nothing, from what the calls returned and the final state
 * alone (no help from Chord's internals):
 *
 * <ul>
 *   <li>the updates that changed the room got the versions right after the set's, each exactly
 *       once, and the room ended at the last of them (contiguous, no reuse, no extra commit);
 *   <li>every update's value is in the state its call returned;
 *   <li>replaying the changing updates in version order on the state after the set gives exactly
 *       the final state — so every update's value is present unless a later update overwrote it;
 *   <li>when every participant is touched once (scenario 1), the number of changes is the expected
 *       one: every status update, and every typing update whose value differs from the room's.
 * </ul>
 */
final class LostUpdateCheck {
  private LostUpdateCheck() {}

  /** The problems found in {@code run}; empty when nothing was lost. */
  static List<String> problems(Scenarios.RoomRun run, boolean eachParticipantOnce) {
    List<String> problems = new ArrayList<>();
    String id = run.contextId();
    long base = run.set().context().version();
    Map<String, Object> start = plainMap(run.set().context().data());

    List<Scenarios.Action> changed = new ArrayList<>();
    int expected = 0;
    for (Scenarios.Action action : run.actions()) {
      ContextUpdate update = action.update();
      if (update == null) {
        continue;
      }
      if (!Objects.equals(field(update.context().data(), action), action.value())) {
        problems.add(id + ": " + describe(action) + " is not in the state its call returned");
      }
      if (update.changed()) {
        changed.add(action);
      }
      if (!Objects.equals(field(start, action), action.value())) {
        expected++;
      }
    }
    changed.sort(Comparator.comparingLong(a -> a.update().context().version()));
    for (int k = 0; k < changed.size(); k++) {
      long version = changed.get(k).update().context().version();
      if (version != base + k + 1) {
        problems.add(
            id
                + ": change "
                + (k + 1)
                + " after the set at v"
                + base
                + " got v"
                + version
                + " (versions not contiguous or reused)");
        break;
      }
    }
    long last = base + changed.size();
    if (run.after().version() != last) {
      problems.add(
          id
              + ": ended at v"
              + run.after().version()
              + ", expected v"
              + last
              + " after "
              + changed.size()
              + " changes");
    }
    if (eachParticipantOnce && changed.size() != expected) {
      problems.add(id + ": " + changed.size() + " changes, expected " + expected);
    }

    Map<String, Object> replay = start;
    for (Scenarios.Action action : changed) {
      if (Objects.equals(field(replay, action), action.value())) {
        problems.add(id + ": " + describe(action) + " reported a change that replay finds none");
      }
      participant(replay, action).put(action.field(), action.value());
    }
    Map<String, Object> actual = plainMap(run.after().data());
    if (!replay.equals(actual)) {
      for (Scenarios.Action action : changed) {
        if (!Objects.equals(field(actual, action), field(replay, action))) {
          problems.add(
              id
                  + ": lost "
                  + describe(action)
                  + " (final state has "
                  + field(actual, action)
                  + ")");
        }
      }
      problems.add(id + ": final state differs from replaying the updates in version order");
    }
    return problems;
  }

  private static String describe(Scenarios.Action action) {
    return action.participant() + "." + action.field() + " = " + action.value();
  }

  private static Object field(Map<String, Object> state, Scenarios.Action action) {
    return participant(state, action).get(action.field());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> participant(
      Map<String, Object> state, Scenarios.Action action) {
    Map<String, Object> participants = (Map<String, Object>) state.get("participants");
    return (Map<String, Object>) participants.get(action.participant());
  }

  /** A mutable, plain-collection copy, so that states compare by content whatever their maps. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> plainMap(Map<String, ?> map) {
    Map<String, Object> out = new HashMap<>(map.size() * 2);
    map.forEach((key, value) -> out.put(key, plain(value)));
    return out;
  }

  private static Object plain(Object value) {
    if (value instanceof Map<?, ?> map) {
      @SuppressWarnings("unchecked")
      Map<String, ?> typed = (Map<String, ?>) map;
      return plainMap(typed);
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      list.forEach(item -> out.add(plain(item)));
      return out;
    }
    return value;
  }
}
