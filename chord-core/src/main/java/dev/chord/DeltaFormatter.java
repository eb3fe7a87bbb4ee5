package dev.chord;

/**
 * Turns a stored delta into what clients receive. {@link DeltaFormatters} has the built-in ones.
 *
 * @param <T> the formatted type, usually something Jackson can write as JSON
 */
@FunctionalInterface
public interface DeltaFormatter<T> {
  T format(DeltaRecord record);
}
