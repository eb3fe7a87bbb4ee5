package dev.chord.spi;

import java.util.Objects;

/**
 * A context's id, version, last change time (milliseconds) and epoch, as listed by {@link
 * Backend#listContexts}.
 */
public record ContextInfo(String contextId, long version, long insertedAt, String epoch) {
  public ContextInfo {
    Objects.requireNonNull(contextId, "contextId");
    Objects.requireNonNull(epoch, "epoch");
  }
}
