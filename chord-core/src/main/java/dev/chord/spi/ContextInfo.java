package dev.chord.spi;

import java.util.Objects;

/** A context's id, version and last change time, as listed by {@link Backend#listContexts}. */
public record ContextInfo(String contextId, long version, long insertedAt) {
  public ContextInfo {
    Objects.requireNonNull(contextId, "contextId");
  }
}
