package dev.chord.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;

/** Tests on a shared Redis leave nothing behind: each deletes the keys under its own prefix. */
final class TestKeys {
  private TestKeys() {}

  /** Deletes every key under {@code prefix} on the servers named by {@code uris}. */
  static void deleteKeys(String uris, boolean isCluster, String prefix) {
    if (isCluster) {
      for (String uri : uris.split(",")) {
        deleteKeys(uri, false, prefix);
      }
      return;
    }
    RedisClient client = RedisClient.create(RedisURI.create(uris));
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      ScanIterator<String> keys =
          ScanIterator.scan(c.sync(), ScanArgs.Builder.matches(prefix + ":*").limit(500));
      while (keys.hasNext()) {
        c.sync().del(keys.next());
      }
    } catch (RedisException e) {
      // A cluster replica or a stopped server: nothing of ours to delete there.
    } finally {
      client.shutdown();
    }
  }
}
