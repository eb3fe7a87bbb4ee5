package dev.chord;

/** A running subscription ({@link Chord#subscribe}); closing it stops delivery. */
public interface Subscription extends AutoCloseable {

  /** Stops delivery; idempotent. An event being delivered while this is called may still end. */
  @Override
  void close();
}
