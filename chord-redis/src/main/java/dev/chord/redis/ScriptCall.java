package dev.chord.redis;

import dev.chord.Context;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The KEYS and ARGV of one call of {@code chord.lua}, each argument set by name. The script reads
 * ARGV by position, in the same slots for every operation (listed by name at the top of {@code
 * chord.lua}); {@link #argv()} is the one place on this side that knows those positions. A slot an
 * operation does not read is sent as {@code ''}, which is also what an unset one is, and the unset
 * slots after the last set one are not sent at all: Redis parses every argument of every call, and
 * a sync needs 4 of the 17.
 */
final class ScriptCall {
  /** The script's operations, each sent as its lower-case name. */
  enum Op {
    GET,
    COMMIT,
    HISTORY,
    RESTORE,
    DELETE,
    TRIM;

    final String wireName = name().toLowerCase(Locale.ROOT);
  }

  private final Op op;
  private final String[] keys;
  private String knownVersion = "";
  private String knownEpoch = "";
  private String maxBehind = "";
  private String withData = "";
  private String expectedVersion = "";
  private String expectedEpoch = "";
  private String version = "";
  private String epoch = "";
  private String insertedAt = "";
  private String maxDeltas = "";
  private String afterVersion = "";
  private String insertedBefore = "";
  private String id = "";
  private String channel = "";
  private String message = "";
  private List<String> deletes = List.of();
  private List<String> sets = List.of();

  /** A call of {@code op} on the keys of one context ({@link Keys#of}). */
  ScriptCall(Op op, String[] keys) {
    this.op = op;
    this.keys = keys;
  }

  Op op() {
    return op;
  }

  String[] keys() {
    return keys;
  }

  /** The script's ARGV, in the order it reads them, without unset slots at the end. */
  String[] argv() {
    String[] slots = {
      op.wireName,
      knownVersion,
      knownEpoch,
      maxBehind,
      withData,
      expectedVersion,
      expectedEpoch,
      version,
      epoch,
      insertedAt,
      maxDeltas,
      afterVersion,
      insertedBefore,
      id,
      channel,
      message
    };
    if (deletes.isEmpty() && sets.isEmpty()) {
      int end = slots.length;
      while (slots[end - 1].isEmpty()) {
        end--;
      }
      return end == slots.length ? slots : Arrays.copyOf(slots, end);
    }
    // Filled in place: a commit's ARGV is built once per call, with no list in between.
    String[] out = Arrays.copyOf(slots, slots.length + 1 + deletes.size() + sets.size());
    int at = slots.length;
    out[at++] = Integer.toString(deletes.size());
    for (String field : deletes) {
      out[at++] = field;
    }
    for (String value : sets) {
      out[at++] = value;
    }
    return out;
  }

  /** The copy the caller holds ({@code null}: none), so a reply sends only what it lacks. */
  ScriptCall known(Context held) {
    this.knownVersion = held == null ? "" : Long.toString(held.version());
    this.knownEpoch = held == null ? "" : held.epoch();
    return this;
  }

  /** The most deltas a reply sends instead of the whole context. */
  ScriptCall maxBehind(int deltas) {
    this.maxBehind = Integer.toString(deltas);
    return this;
  }

  /** Whether a full reply of {@code get} carries the data. */
  ScriptCall withData(boolean withData) {
    this.withData = withData ? "1" : "";
    return this;
  }

  /** The stored version a commit needs (0: absent), or a delete must find. */
  ScriptCall expectedVersion(long version) {
    this.expectedVersion = Long.toString(version);
    return this;
  }

  /** The stored epoch a commit or delete needs; {@code null} for a create. */
  ScriptCall expectedEpoch(String epoch) {
    this.expectedEpoch = epoch == null ? "" : epoch;
    return this;
  }

  /** The version a commit or restore stores. */
  ScriptCall version(long version) {
    this.version = Long.toString(version);
    return this;
  }

  /** The epoch of the version a commit or restore stores. */
  ScriptCall epoch(String epoch) {
    this.epoch = epoch;
    return this;
  }

  /** The time of the version a commit or restore stores, in milliseconds. */
  ScriptCall insertedAt(long millis) {
    this.insertedAt = Long.toString(millis);
    return this;
  }

  /** How many deltas a commit leaves in the log. */
  ScriptCall maxDeltas(int deltas) {
    this.maxDeltas = Integer.toString(deltas);
    return this;
  }

  /** The version after which {@code history} sends deltas. */
  ScriptCall afterVersion(long version) {
    this.afterVersion = Long.toString(version);
    return this;
  }

  /** The time, in milliseconds, before which {@code trim} drops log entries. */
  ScriptCall insertedBefore(long millis) {
    this.insertedBefore = Long.toString(millis);
    return this;
  }

  ScriptCall id(String contextId) {
    this.id = contextId;
    return this;
  }

  /** The context's channel, where a commit, restore or delete publishes. */
  ScriptCall channel(String channel) {
    this.channel = channel;
    return this;
  }

  /** The delta message a commit logs and publishes. */
  ScriptCall message(String message) {
    this.message = message;
    return this;
  }

  /** The data hash fields a commit deletes, before it sets {@link #sets}. */
  ScriptCall deletes(List<String> fields) {
    this.deletes = fields;
    return this;
  }

  /** The field/value pairs a commit or restore sets. */
  ScriptCall sets(List<String> pairs) {
    this.sets = pairs;
    return this;
  }
}
