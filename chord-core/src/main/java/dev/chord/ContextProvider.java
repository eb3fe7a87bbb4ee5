package dev.chord;

import java.util.Optional;

/**
 * Supplies a context to {@link Chord#restoreContext}, for example from a database. Returns empty
 * when it has nothing for that id. Whatever it throws reaches the caller wrapped in a {@link
 * ChordException}.
 */
@FunctionalInterface
public interface ContextProvider {
  Optional<Context> fetch(String contextId) throws Exception;
}
