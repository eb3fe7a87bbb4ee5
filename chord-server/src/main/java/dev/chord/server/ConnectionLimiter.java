package dev.chord.server;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Counts open WebSocket connections per client address and refuses those over the limit. */
final class ConnectionLimiter {
  private final int perAddress;
  private final Map<String, Integer> open = new ConcurrentHashMap<>();

  ConnectionLimiter(int perAddress) {
    this.perAddress = perAddress;
  }

  /** Whether another connection from {@code address} would still be within the limit. */
  boolean hasRoom(String address) {
    return open.getOrDefault(address, 0) < perAddress;
  }

  /** Takes a slot for {@code address}; {@code false} (and nothing taken) if none is free. */
  boolean acquire(String address) {
    boolean[] taken = {false};
    open.compute(
        address,
        (a, n) -> {
          int count = n == null ? 0 : n;
          if (count >= perAddress) {
            return n;
          }
          taken[0] = true;
          return count + 1;
        });
    return taken[0];
  }

  void release(String address) {
    open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
  }
}
