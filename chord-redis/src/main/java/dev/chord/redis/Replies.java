package dev.chord.redis;

import dev.chord.BackendException;
import dev.chord.DeltaRecord;
import dev.chord.json.TypedJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The replies of {@code chord.lua}, typed. The script answers arrays (see its header); this is the
 * one place that reads them by position, and anything of another shape fails with {@link
 * BackendException}.
 */
final class Replies {
  private Replies() {}

  /**
   * What {@code get}, and a commit's conflict, tell of the stored context: its head and what the
   * caller lacks of it, given the copy it sent ({@link ScriptCall#known}).
   */
  sealed interface Head {
    long version();

    long insertedAt();

    String epoch();
  }

  /** The caller's copy is the stored context. */
  record Same(long version, long insertedAt, String epoch) implements Head {}

  /** The stored context is the caller's copy with these deltas applied, oldest first. */
  record Deltas(long version, long insertedAt, String epoch, List<DeltaRecord> records)
      implements Head {}

  /** The stored data hash, sent because the call asked for it ({@link ScriptCall#withData}). */
  record Full(long version, long insertedAt, String epoch, Map<String, String> fields)
      implements Head {}

  /** The caller must read the context whole: its copy is of no use, and no data was sent. */
  record Stale(long version, long insertedAt, String epoch) implements Head {}

  /** What a commit answers. */
  sealed interface Commit {}

  /** Stored. */
  record Committed() implements Commit {}

  /** Not stored: the stored context is not the commit's base; {@code head} empty if absent. */
  record Conflict(Optional<Head> head) implements Commit {}

  /** What {@code history} answers for a context that exists. */
  record History(long version, long insertedAt, String epoch, List<DeltaRecord> records) {}

  /** The reply of {@code get}: empty if the context does not exist. */
  static Optional<Head> head(String contextId, List<Object> reply) {
    return reply.isEmpty() ? Optional.empty() : Optional.of(parseHead(contextId, reply));
  }

  static Commit commit(String contextId, List<Object> reply) {
    if (reply.size() == 1 && "ok".equals(reply.get(0))) {
      return new Committed();
    }
    if (reply.isEmpty() || !"conflict".equals(reply.get(0)) || reply.size() > 2) {
      throw unexpected(reply);
    }
    return new Conflict(
        reply.size() == 1 ? Optional.empty() : Optional.of(parseHead(contextId, list(reply, 1))));
  }

  /** The reply of {@code history}: empty if the context does not exist. */
  static Optional<History> history(String contextId, List<Object> reply) {
    if (reply.isEmpty()) {
      return Optional.empty();
    }
    if (reply.size() != 4) {
      throw unexpected(reply);
    }
    String epoch = string(reply, 2);
    return Optional.of(
        new History(
            number(reply, 0), number(reply, 1), epoch, records(contextId, list(reply, 3), epoch)));
  }

  /** The reply of {@code delete}: whether it deleted the context. */
  static boolean deleted(List<Object> reply) {
    return count(reply) == 1;
  }

  /** A reply that is one number, as {@code delete}, {@code restore} and {@code trim} send. */
  static long count(List<Object> reply) {
    if (reply.size() != 1) {
      throw unexpected(reply);
    }
    return number(reply, 0);
  }

  /** {@code same|deltas|full, version, insertedAt, epoch[, entries or data]}. */
  private static Head parseHead(String contextId, List<Object> reply) {
    if (reply.size() < 4) {
      throw unexpected(reply);
    }
    String kind = string(reply, 0);
    long version = number(reply, 1);
    long insertedAt = number(reply, 2);
    String epoch = string(reply, 3);
    switch (kind) {
      case "same":
        if (reply.size() == 4) {
          return new Same(version, insertedAt, epoch);
        }
        break;
      case "deltas":
        if (reply.size() == 5) {
          return new Deltas(version, insertedAt, epoch, records(contextId, list(reply, 4), epoch));
        }
        break;
      case "full":
        if (reply.size() == 4) {
          return new Stale(version, insertedAt, epoch);
        }
        if (reply.size() == 5) {
          return new Full(version, insertedAt, epoch, JsonCodec.readHash(string(reply, 4)));
        }
        break;
      default:
        break;
    }
    throw unexpected(reply);
  }

  /**
   * Delta records of incarnation {@code epoch} from XRANGE entries: {@code [id, [at, <at>, d,
   * <message>]]}.
   */
  private static List<DeltaRecord> records(String contextId, List<Object> entries, String epoch) {
    List<DeltaRecord> out = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      List<Object> fields = list(list(entries, i), 1);
      out.add(JsonCodec.VALUES.readDeltaMessage(contextId, string(fields, 3), epoch));
    }
    return out;
  }

  private static String string(List<Object> reply, int index) {
    if (reply.size() > index && reply.get(index) instanceof String s) {
      return s;
    }
    throw unexpected(reply);
  }

  private static long number(List<Object> reply, int index) {
    if (reply.size() > index) {
      Object value = reply.get(index);
      if (value instanceof Long l) {
        return l;
      }
      if (value instanceof String s) {
        try {
          return Long.parseLong(s);
        } catch (NumberFormatException e) {
          // Reported below.
        }
      }
    }
    throw unexpected(reply);
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(List<Object> reply, int index) {
    if (reply.size() > index && reply.get(index) instanceof List<?> list) {
      return (List<Object>) list;
    }
    throw unexpected(reply);
  }

  private static BackendException unexpected(List<Object> reply) {
    return new BackendException(
        "unexpected reply from the chord script: " + TypedJson.abbreviate(String.valueOf(reply)));
  }
}
