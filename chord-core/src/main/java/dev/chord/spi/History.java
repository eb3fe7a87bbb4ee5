package dev.chord.spi;

import dev.chord.DeltaRecord;
import java.util.List;
import java.util.Objects;

/**
 * The head of a context and part of its stored history, read atomically by {@link Backend#history}.
 *
 * @param version the current version
 * @param insertedAt the current version's {@code insertedAt}, in milliseconds
 * @param deltas stored deltas with a version above the one asked for, oldest first, all of epoch
 *     {@code epoch}; empty when the caller asked for none or none is stored
 * @param epoch the current epoch
 */
public record History(long version, long insertedAt, List<DeltaRecord> deltas, String epoch) {
  public History {
    deltas = List.copyOf(deltas);
    Objects.requireNonNull(epoch, "epoch");
  }
}
