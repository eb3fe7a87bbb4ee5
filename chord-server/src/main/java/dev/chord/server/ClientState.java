package dev.chord.server;

import dev.chord.Chord;
import dev.chord.Epochs;
import dev.chord.SyncResult;

/**
 * What a syncing client says it holds, from the {@code version} and {@code epoch} query parameters
 * of {@code GET …/sync} and the live WebSocket.
 *
 * @param version the client's version, {@code null} if it has nothing
 * @param epoch the epoch of that version, {@code null} if the client sent none (unsafe across
 *     re-creation: version numbers repeat when an id is deleted and created again or restored)
 */
record ClientState(Long version, String epoch) {

  /**
   * The client state named by the raw query parameters ({@code null}: not sent; an empty {@code
   * version} counts as not sent too).
   *
   * @throws ApiException 400 for a version that is not a whole number ≥ 0, an epoch without a
   *     version, or a malformed epoch, an empty one included: a client that means to send its epoch
   *     and sends {@code ?epoch=} must not fall back to the version-only sync, which is unsafe
   *     across re-creation
   */
  static ClientState parse(String rawVersion, String rawEpoch) {
    Long version = version(rawVersion);
    if (rawEpoch == null) {
      return new ClientState(version, null);
    }
    if (version == null) {
      throw ApiException.badRequest("epoch needs the version the client holds in it: ?version=N");
    }
    if (!Epochs.isValid(rawEpoch)) {
      throw ApiException.badRequest(
          "epoch must be 8 to 22 characters of A-Z a-z 0-9 _ - (as the server sent it), was '"
              + (rawEpoch.length() > 40 ? rawEpoch.substring(0, 40) + "…" : rawEpoch)
              + "'");
    }
    return new ClientState(version, rawEpoch);
  }

  private static Long version(String raw) {
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    try {
      long version = Long.parseLong(raw);
      if (version >= 0) {
        return version;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ApiException.badRequest("version must be a whole number ≥ 0, was '" + raw + "'");
  }

  /**
   * What this client needs from {@code chord} to be current.
   *
   * @throws dev.chord.ContextNotFoundException if the context does not exist
   */
  SyncResult sync(Chord chord, String contextId) {
    if (version == null) {
      return chord.syncContext(contextId, null);
    }
    return epoch == null
        ? chord.syncContext(contextId, version)
        : chord.syncContext(contextId, version, epoch);
  }
}
