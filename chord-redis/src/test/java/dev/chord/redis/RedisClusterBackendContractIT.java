package dev.chord.redis;

import dev.chord.spi.Backend;
import dev.chord.tck.BackendContractTest;
import dev.chord.testsupport.RedisServers;

/** The Redis backend meets the backend contract on a 3-master Redis Cluster, across two nodes. */
class RedisClusterBackendContractIT extends BackendContractTest {
  @Override
  protected Backend createBackend() {
    return RedisBackend.clusterBuilder(RedisServers.cluster())
        .subscriptionCheckInterval(RedisBackendContractIT.CHECK_INTERVAL)
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
}
