package dev.chord.spi;

import dev.chord.Context;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where Chord keeps contexts and their delta history.
 *
 * <p>A backend stores and reads; all delta logic (diff, merge, sync decisions, validation) stays in
 * {@link dev.chord.Chord}. What a backend must guarantee:
 *
 * <ul>
 *   <li>{@link #commit} is atomic and checked against the stored (epoch, version): the context, its
 *       delta and its version are written together or not at all, and only if the stored epoch and
 *       version are the expected ones.
 *   <li>An epoch names one incarnation of a context: a commit keeps it, a create and a restore
 *       bring a new one (Chord draws it), and a backend stores and returns it as given.
 *   <li>Times ({@code insertedAt}) are stored as Chord gives them, in milliseconds; Chord converts
 *       to the unit its user configured, so nodes with different settings share one store.
 *   <li>The stored deltas of a context are always a contiguous run of versions that ends at the
 *       current version (or none): commits append, trimming and TTL cleanup drop the oldest,
 *       restore and delete drop all.
 *   <li>At most {@link Commit#maxDeltas()} deltas remain after a commit.
 *   <li>Data read back equals the data written, value types included; maps handed out are frozen
 *       with {@link Snapshots#freeze}.
 * </ul>
 *
 * <p>Every method may throw {@link dev.chord.BackendException} when storage fails; a failed commit
 * has stored nothing. Implementations must be thread-safe. {@code chord-backend-tck} has the tests
 * an implementation must pass.
 */
public interface Backend extends AutoCloseable {

  /** The id {@link #probe} reads: one no context should have. */
  String PROBE_ID = "chord:health-probe";

  /** The current context, or empty if it does not exist. */
  Optional<Context> get(String contextId);

  /**
   * Returns once the backend answered one read, of {@link #PROBE_ID}, straight to storage: what
   * health checks call (chord-server's {@code /health} probes, the Spring Boot health indicator).
   * The default is a {@link #get}; {@link ForwardingBackend} forwards it, so a decorator that
   * changes what reads do (fault injection, a circuit breaker) overrides this too.
   *
   * @throws dev.chord.BackendException if storage fails or does not answer within the backend's own
   *     timeout
   */
  default void probe() {
    get(PROBE_ID);
  }

  /**
   * The context a write should start from. Unlike {@link #get} it may answer from a local copy that
   * is out of date (saving a round trip to remote storage): the commit's version check catches a
   * stale copy, and Chord confirms with {@link #get} before it reports "not found" or "nothing
   * changed" from it. The default is {@link #get}.
   */
  default Optional<Context> getForCommit(String contextId) {
    return get(contextId);
  }

  /**
   * Atomically stores {@code commit} if the stored context is at {@link Commit#expectedEpoch()} and
   * {@link Commit#expectedVersion()} (version 0: the context must be absent), trimming history to
   * {@link Commit#maxDeltas()}. Both are compared with what is stored, never with a local copy: a
   * commit computed from another incarnation at the same version is a conflict.
   *
   * @return {@link CommitResult#COMMITTED}, or a {@link CommitResult.Conflict} carrying the context
   *     as it is stored now
   */
  CommitResult commit(Commit commit);

  /**
   * The current version and the stored deltas above {@code afterVersion}, read atomically. Deltas
   * are returned only when the current version is above {@code afterVersion} by at most {@code
   * maxDeltas}; otherwise the list is empty (the caller will not use them).
   *
   * @return empty if the context does not exist
   */
  Optional<History> history(String contextId, long afterVersion, int maxDeltas);

  /**
   * Stores {@code context} as is, at its version and epoch, whatever was there, and drops all
   * stored deltas of that id. Subscribers get {@link Feed#onReset} with the restored epoch and
   * version; no delta.
   */
  void restore(Context context);

  /**
   * {@link #restore} only if no context of that id is stored, as one atomic step: restore on miss
   * uses it, so that a context another caller or node created or restored in the meantime is never
   * overwritten (its acknowledged writes would be lost).
   *
   * <p>The default (a {@link #get}, then a {@link #restore}) is atomic only where nothing else
   * writes the store between the two; a backend shared by several processes must override it.
   *
   * @return whether it restored; {@code false}: a context of that id is stored, nothing changed
   */
  default boolean restoreIfAbsent(Context context) {
    if (get(context.contextId()).isPresent()) {
      return false;
    }
    restore(context);
    return true;
  }

  /**
   * Deletes the context and all its deltas; subscribers get {@link Feed#onReset} with the deleted
   * epoch and version 0.
   *
   * @return whether it existed
   */
  boolean delete(String contextId);

  /**
   * Deletes the context and all its deltas only if it is still at {@code epoch} and {@code
   * version}: cleanup must not delete a context that was updated, re-created or restored after it
   * was listed. Subscribers get {@link Feed#onReset} as for {@link #delete}.
   *
   * @return whether it was deleted
   */
  boolean deleteIf(String contextId, String epoch, long version);

  /**
   * Drops the oldest deltas of the context while their {@code insertedAt} (milliseconds) is below
   * {@code insertedBefore}.
   *
   * @return how many were dropped
   */
  long deleteDeltasBefore(String contextId, long insertedBefore);

  /**
   * One page of all contexts, in an order of the backend's choosing that stays stable while the
   * listing goes on. Contexts created or deleted meanwhile may or may not be listed.
   *
   * @param cursor {@code null} for the first page, else {@link ContextPage#nextCursor()}
   * @param limit the most contexts to return, at least 1
   */
  ContextPage listContexts(@Nullable String cursor, int limit);

  /**
   * Tells {@code feed} of every delta committed to that context from now on, and of every delete
   * and restore of it ({@link Feed#onReset}), by this process or, for shared storage, any other.
   * Delivery may be out of order, repeated or, after a connection loss, incomplete: Chord puts
   * records in order, drops repeats and fills gaps from {@link #history}. {@code feed} must not be
   * called while a lock of the backend is held, nor on an I/O thread of a client library.
   *
   * @return closing it stops delivery
   */
  AutoCloseable subscribe(String contextId, Feed feed);

  /** Releases what the backend holds (connections, threads). Called by {@code Chord.close()}. */
  @Override
  default void close() {}
}
