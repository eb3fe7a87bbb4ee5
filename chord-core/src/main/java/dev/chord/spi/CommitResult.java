package dev.chord.spi;

import dev.chord.Context;
import java.util.Optional;

/** What {@link Backend#commit} did. */
public sealed interface CommitResult {

  /** The commit is stored. */
  record Committed() implements CommitResult {}

  /**
   * Nothing was stored: the stored version was not the expected one.
   *
   * @param current the context as stored now (empty if absent), so the caller can retry from it
   */
  record Conflict(Optional<Context> current) implements CommitResult {}

  /** The one {@link Committed} value. */
  CommitResult COMMITTED = new Committed();
}
