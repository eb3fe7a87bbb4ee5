package dev.chord;

import dev.chord.ChordEvent.FullReason;
import dev.chord.spi.Backend;
import dev.chord.spi.History;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where sync is planned: what a client holding some (epoch, version) needs to reach the stored
 * state. One atomic history read decides; the whole context is read only when the answer is {@link
 * SyncResult.Full}.
 */
final class SyncPlanner {
  private final Backend backend;
  private final int deltaThreshold;
  private final TimeScale time;

  SyncPlanner(Backend backend, int deltaThreshold, TimeScale time) {
    this.backend = backend;
    this.deltaThreshold = deltaThreshold;
    this.time = time;
  }

  /**
   * {@link SyncResult.Full} for another epoch (unless {@code clientEpoch} is {@code null}), for a
   * client ahead, too far behind or behind a hole in the stored history; {@link
   * SyncResult.NoChange} at the current version; otherwise one merged {@link SyncResult.Patch}. Why
   * it is a Full goes to {@code note}, if given.
   *
   * @throws ContextNotFoundException if the context does not exist
   */
  SyncResult plan(
      String contextId,
      long clientVersion,
      @Nullable String clientEpoch,
      Telemetry.@Nullable Note note) {
    History history =
        backend
            .history(contextId, clientVersion, deltaThreshold)
            .orElseThrow(() -> new ContextNotFoundException(contextId));
    if (clientEpoch != null && !clientEpoch.equals(history.epoch())) {
      return full(contextId, FullReason.OTHER_EPOCH, note);
    }
    long current = history.version();
    if (clientVersion == current) {
      return new SyncResult.NoChange(current, history.epoch());
    }
    long behind = current - clientVersion;
    if (behind < 0) {
      return full(contextId, FullReason.AHEAD, note);
    }
    if (behind > deltaThreshold) {
      return full(contextId, FullReason.TOO_FAR_BEHIND, note);
    }
    if (!isRun(history.deltas(), clientVersion + 1, current, history.epoch())) {
      return full(contextId, FullReason.HISTORY_GAP, note);
    }
    List<Delta> deltas = new ArrayList<>(history.deltas().size());
    for (DeltaRecord record : history.deltas()) {
      deltas.add(record.delta());
    }
    return new SyncResult.Patch(
        contextId,
        clientVersion,
        current,
        Delta.merge(deltas),
        time.toApi(history.insertedAt()),
        history.epoch());
  }

  /**
   * The whole current context, sent for {@code reason} (noted in {@code note}, if given).
   *
   * @throws ContextNotFoundException if the context does not exist
   */
  SyncResult.Full full(String contextId, FullReason reason, Telemetry.@Nullable Note note) {
    if (note != null) {
      note.fullReason = reason;
    }
    return new SyncResult.Full(
        time.toApi(
            backend.get(contextId).orElseThrow(() -> new ContextNotFoundException(contextId))));
  }

  /**
   * Whether {@code records} are exactly the versions {@code from..to} of {@code epoch}, in order.
   */
  private static boolean isRun(List<DeltaRecord> records, long from, long to, String epoch) {
    if (records.size() != to - from + 1) {
      return false;
    }
    long expected = from;
    for (DeltaRecord record : records) {
      if (record.version() != expected++ || !epoch.equals(record.epoch())) {
        return false;
      }
    }
    return true;
  }
}
