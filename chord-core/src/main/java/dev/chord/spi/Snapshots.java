package dev.chord.spi;

import dev.chord.internal.Freezer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Turns JSON-like data into the immutable snapshot form that {@link dev.chord.Chord} stores and
 * hands out, validating it on the way.
 *
 * <p>Accepted values: {@code null}, {@link Boolean}, {@link String}, {@link Number} ({@code Byte},
 * {@code Short}, {@code Integer}, {@code Long} become {@code Long}; {@code Float}, {@code Double}
 * become {@code Double}; {@link BigInteger} and {@link BigDecimal} stay as they are), {@link List}
 * and {@link Map} with {@code String} keys. Anything else, {@code NaN} and infinities, cycles and
 * nesting deeper than {@value #MAX_DEPTH} maps and lists are rejected with an {@link
 * IllegalArgumentException} naming the offending path as a JSON Pointer (RFC 6901).
 *
 * <p>Backends use this for data they read back, so that what {@code Chord} hands out is always a
 * snapshot: unmodifiable at every level and never changed afterwards.
 */
public final class Snapshots {
  /** The deepest nesting of maps and lists accepted; the root map counts as 1. */
  public static final int MAX_DEPTH = Freezer.MAX_DEPTH;

  private Snapshots() {}

  /**
   * A frozen copy of {@code map}.
   *
   * @throws IllegalArgumentException if {@code map} or anything in it is not JSON-like
   */
  public static Map<String, @Nullable Object> freeze(Map<String, ?> map) {
    return Freezer.freeze(map);
  }

  /**
   * A frozen copy of one JSON-like value (a map, a list or a scalar; {@code null} stays {@code
   * null}).
   *
   * @throws IllegalArgumentException if {@code value} or anything in it is not JSON-like
   */
  public static @Nullable Object freezeValue(@Nullable Object value) {
    return Freezer.freezeValue(value);
  }
}
