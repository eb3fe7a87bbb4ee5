package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a client holds: the state, epoch and version rebuilt from live messages in the {@code chord}
 * format, checking that every patch applies to exactly the (epoch, version) the client has (no
 * holes, never across incarnations), as WIRE.md's client rule requires.
 */
final class Replica {
  Map<String, Object> state = new LinkedHashMap<>();
  String epoch;
  long version = -1;
  int patches;
  int fulls;
  int merged;

  Replica() {}

  /** A client that already has {@code state} at ({@code epoch}, {@code version}). */
  Replica(Map<String, Object> state, String epoch, long version) {
    this.state = deepCopy(state);
    this.epoch = epoch;
    this.version = version;
  }

  @SuppressWarnings("unchecked")
  void apply(Map<String, Object> message) {
    long to = ((Number) message.get("version")).longValue();
    String messageEpoch = (String) message.get("epoch");
    assertThat(message).as("every message carries its epoch").containsKey("epoch");
    switch ((String) message.get("type")) {
      case "full" -> {
        assertThat(messageEpoch).isNotNull();
        state = deepCopy((Map<String, Object>) message.get("context"));
        fulls++;
      }
      case "absent" -> {
        assertThat(messageEpoch).isNull();
        state = new LinkedHashMap<>();
      }
      case "no_change" -> {
        assertThat(to).isEqualTo(version);
        assertThat(messageEpoch).isEqualTo(epoch);
      }
      case "patch" -> {
        long from = ((Number) message.get("fromVersion")).longValue();
        assertThat(from).as("patch must start at the client's version").isEqualTo(version);
        assertThat(to).as("patch must move the version forward").isGreaterThan(from);
        if (from > 0 || epoch != null) {
          assertThat(messageEpoch).as("patch must be of the client's epoch").isEqualTo(epoch);
        }
        if (to > from + 1) {
          merged++;
        }
        patches++;
        Map<String, Object> delta = (Map<String, Object>) message.get("delta");
        for (Map<String, Object> change : (List<Map<String, Object>>) delta.get("changes")) {
          List<String> key = (List<String>) change.get("key");
          Map<String, Object> parent = state;
          for (String k : key.subList(0, key.size() - 1)) {
            parent = (Map<String, Object>) parent.get(k);
          }
          String last = key.get(key.size() - 1);
          if ("removed".equals(change.get("action"))) {
            parent.remove(last);
          } else {
            Object value = change.get("value");
            parent.put(
                last, value instanceof Map<?, ?> m ? deepCopy((Map<String, Object>) m) : value);
          }
        }
      }
      default -> throw new AssertionError("unknown message " + message);
    }
    epoch = messageEpoch;
    version = to;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> deepCopy(Map<String, Object> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach(
        (k, v) -> out.put(k, v instanceof Map<?, ?> m ? deepCopy((Map<String, Object>) m) : v));
    return out;
  }
}
