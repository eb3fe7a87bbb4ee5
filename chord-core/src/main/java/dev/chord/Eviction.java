package dev.chord;

import dev.chord.spi.Backend;
import dev.chord.spi.ContextInfo;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * {@link Chord.Builder#evictAfter}: removes an idle context from the hot backend, but only once its
 * newest version is known exported. The export happens here, synchronously ({@link
 * WriteBehind#exportNow}), and the hot copy is then removed only if it is still at the exported
 * epoch and version ({@link Backend#deleteIf}), so a change made meanwhile keeps it hot. With
 * {@link Chord.Builder#restoreOnMiss} the eviction is recorded first, so that the context comes
 * back with its epoch (see {@link RestoreOnMiss}).
 */
final class Eviction implements Cleaner.Evictor {
  private final Backend backend;
  private final WriteBehind exports;
  private final @Nullable RestoreOnMiss misses;

  Eviction(Backend backend, WriteBehind exports, @Nullable RestoreOnMiss misses) {
    this.backend = backend;
    this.exports = exports;
    this.misses = misses;
  }

  // Synchronized: two cleanup passes at once must not evict one context twice (the second would
  // drop the first's record of the eviction).
  @Override
  public synchronized boolean evict(ContextInfo listed) {
    Optional<Context> read = backend.get(listed.contextId());
    if (read.isEmpty()
        || !read.get().epoch().equals(listed.epoch())
        || read.get().version() != listed.version()) {
      return false;
    }
    Context context = read.get();
    if (!exports.exportNow(context)) {
      return false;
    }
    if (misses != null) {
      misses.evicting(context);
    }
    if (backend.deleteIf(context.contextId(), context.epoch(), context.version())) {
      return true;
    }
    if (misses != null) {
      misses.forget(context.contextId());
    }
    return false;
  }
}
