package dev.chord;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One leaf of a {@link Delta}: the key at {@code path} was added, modified or removed.
 *
 * @param path the keys from the root of the context to the changed key, never empty
 * @param action what happened
 * @param oldValue the value before ({@code null} for {@link Action#ADDED}, or a JSON null)
 * @param value the value after ({@code null} for {@link Action#REMOVED}, or a JSON null)
 */
public record Change(
    List<String> path, Action action, @Nullable Object oldValue, @Nullable Object value) {
  public Change {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(action, "action");
    if (path.isEmpty()) {
      throw new IllegalArgumentException("a change needs a non-empty path");
    }
    path = List.copyOf(path);
  }
}
