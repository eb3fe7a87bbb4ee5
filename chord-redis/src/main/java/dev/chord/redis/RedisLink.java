package dev.chord.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Lettuce client and connections of one backend, standalone or cluster: one command
 * connection (thread-safe, pipelining, shared by all callers) and one pub/sub connection. The rest
 * of the backend sees only what the two have in common.
 *
 * <p>Fault behaviour, for both: commands time out after the configured timeout; while a
 * connection is down, commands are rejected at once rather than queued (so callers learn of the
 * outage within the timeout, and nothing queued runs late); Lettuce reconnects in the background,
 * retrying every 10 ms growing to at most 1 s, and resubscribes the pub/sub channels.
 */
abstract sealed class RedisLink implements AutoCloseable {
  final ClientResources resources;

  private RedisLink(ClientResources resources) {
    this.resources = resources;
  }

  static ClientResources resources() {
    return DefaultClientResources.builder()
        .ioThreadPoolSize(2)
        .computationThreadPoolSize(2)
        .reconnectDelay(
            Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
        .build();
  }

  static ClientOptions.Builder options(ClientOptions.Builder builder, Duration timeout) {
    return builder
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(timeout))
        .socketOptions(SocketOptions.builder().connectTimeout(timeout).build());
  }

  abstract AbstractRedisClient client();

  abstract RedisClusterAsyncCommands<String, String> commands();

  abstract void closeCommands();

  abstract StatefulRedisPubSubConnection<String, String> pubSub();

  /** The ids of the nodes whose keys a listing must scan, in a stable order. */
  abstract List<String> scanNodes();

  /** Commands on one node of {@link #scanNodes()}. */
  abstract RedisClusterAsyncCommands<String, String> node(String nodeId);

  @Override
  public void close() {
    pubSub().close();
    closeCommands();
    client().shutdown(Duration.ZERO, Duration.ofSeconds(2));
    shutdown(resources);
  }

  /** Stops the event loops and timers, waiting for them a little so close() leaves no threads. */
  private static void shutdown(ClientResources resources) {
    try {
      resources.shutdown(0, 2, TimeUnit.SECONDS).get(3, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // Threads that outlive the wait are daemons and end on their own.
    }
  }

  /** One Redis server. */
  static final class Standalone extends RedisLink {
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final StatefulRedisPubSubConnection<String, String> pubSub;

    Standalone(RedisURI uri, Duration timeout) {
      super(resources());
      uri.setTimeout(timeout);
      RedisClient created = RedisClient.create(resources, uri);
      try {
        created.setOptions(options(ClientOptions.builder(), timeout).build());
        this.connection = created.connect();
        this.pubSub = created.connectPubSub();
      } catch (RuntimeException e) {
        created.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        shutdown(resources);
        throw e;
      }
      this.client = created;
    }

    @Override
    AbstractRedisClient client() {
      return client;
    }

    @Override
    RedisClusterAsyncCommands<String, String> commands() {
      return connection.async();
    }

    @Override
    StatefulRedisPubSubConnection<String, String> pubSub() {
      return pubSub;
    }

    @Override
    void closeCommands() {
      connection.close();
    }

    @Override
    List<String> scanNodes() {
      return List.of("-");
    }

    @Override
    RedisClusterAsyncCommands<String, String> node(String nodeId) {
      return connection.async();
    }
  }

  /** A Redis Cluster: commands are routed by key slot, listing scans every master. */
  static final class Cluster extends RedisLink {
    private final RedisClusterClient client;
    private final StatefulRedisClusterConnection<String, String> connection;
    private final StatefulRedisPubSubConnection<String, String> pubSub;

    Cluster(List<RedisURI> seeds, Duration timeout) {
      super(resources());
      seeds.forEach(uri -> uri.setTimeout(timeout));
      RedisClusterClient created = RedisClusterClient.create(resources, seeds);
      try {
        created.setOptions(
            ((ClusterClientOptions.Builder) options(ClusterClientOptions.builder(), timeout)).build());
        this.connection = created.connect();
        // Node connections are opened lazily, and a command for a node whose connection is still
        // opening would be rejected (commands are rejected while disconnected): open them now.
        for (RedisClusterNode node : connection.getPartitions()) {
          connection.getConnection(node.getUri().getHost(), node.getUri().getPort());
        }
        this.pubSub = created.connectPubSub();
      } catch (RuntimeException e) {
        created.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        shutdown(resources);
        throw e;
      }
      this.client = created;
    }

    @Override
    AbstractRedisClient client() {
      return client;
    }

    @Override
    RedisClusterAsyncCommands<String, String> commands() {
      return connection.async();
    }

    @Override
    StatefulRedisPubSubConnection<String, String> pubSub() {
      return pubSub;
    }

    @Override
    void closeCommands() {
      connection.close();
    }

    @Override
    List<String> scanNodes() {
      List<String> ids = new ArrayList<>();
      for (RedisClusterNode node : connection.getPartitions()) {
        if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
          ids.add(node.getNodeId());
        }
      }
      ids.sort(null);
      return ids;
    }

    @Override
    RedisClusterAsyncCommands<String, String> node(String nodeId) {
      return connection.async().getConnection(nodeId);
    }
  }
}
