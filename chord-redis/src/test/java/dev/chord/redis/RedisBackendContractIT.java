package dev.chord.redis;

import dev.chord.spi.Backend;
import dev.chord.tck.BackendContractTest;
import dev.chord.testsupport.RedisServers;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;

/** The Redis backend meets the backend contract on one Redis server, across two nodes. */
class RedisBackendContractIT extends BackendContractTest {
  private static final String PREFIX = "chord-tck-" + UUID.randomUUID().toString().substring(0, 8);

  /**
   * The kit waits 10 s for a listener to reach the stored state; a message that pub/sub loses is
   * made up for within about three check intervals.
   */
  static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

  @Override
  protected Backend createBackend() {
    return RedisBackend.builder(RedisServers.standalone())
        .keyPrefix(PREFIX)
        .subscriptionCheckInterval(CHECK_INTERVAL)
        .build();
  }

  @Override
  protected Backend createPeer() {
    return createBackend();
  }

  /** A Redis history takes ~100 ms; 60 of them still hit "same version, other epoch" often. */
  @Override
  protected int propertyRuns() {
    return 60;
  }

  @AfterAll
  static void deleteKeys() {
    TestKeys.deleteKeys(RedisServers.standalone(), false, PREFIX);
  }
}
