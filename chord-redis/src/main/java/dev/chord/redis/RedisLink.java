package dev.chord.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The Lettuce client and connections of one backend, on one server or a cluster: one command
 * connection (thread-safe, pipelining, shared by all callers) and one pub/sub connection. What
 * differs between the two is how they connect ({@link #standalone}, {@link #cluster}) and which
 * nodes a listing scans ({@link Topology}); the rest of the backend sees only what they share.
 *
 * <p>Fault behaviour, for both: commands time out after the configured timeout; while a connection
 * is down, commands are rejected at once rather than queued (so callers learn of the outage within
 * the timeout, and nothing queued runs late); Lettuce reconnects in the background, retrying every
 * 10 ms growing to at most 1 s, and resubscribes the pub/sub channels.
 */
final class RedisLink implements AutoCloseable {
  /** Which nodes hold keys a listing must scan, and how to reach one. */
  private sealed interface Topology {
    /** The ids of the nodes whose keys a listing must scan, in a stable order. */
    List<String> scanNodes();

    /** Commands on one node of {@link #scanNodes()}. */
    RedisClusterAsyncCommands<String, String> node(String nodeId);
  }

  /** One server: it holds every key. */
  private record OneServer(StatefulRedisConnection<String, String> connection) implements Topology {
    @Override
    public List<String> scanNodes() {
      return List.of("-");
    }

    @Override
    public RedisClusterAsyncCommands<String, String> node(String nodeId) {
      return connection.async();
    }
  }

  /** A cluster: every master holds some slots. */
  private record Masters(StatefulRedisClusterConnection<String, String> connection)
      implements Topology {
    @Override
    public List<String> scanNodes() {
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
    public RedisClusterAsyncCommands<String, String> node(String nodeId) {
      return connection.async().getConnection(nodeId);
    }
  }

  /** What connecting a client yields. */
  private record Connections(
      StatefulConnection<String, String> commandConnection,
      RedisClusterAsyncCommands<String, String> commands,
      StatefulRedisPubSubConnection<String, String> pubSub,
      Topology topology) {}

  /** Connects a created client; a failure is thrown, and {@link #open} shuts the client down. */
  private interface Connector<C extends AbstractRedisClient> {
    Connections connect(C client);
  }

  private final ClientResources resources;
  private final AbstractRedisClient client;
  private final Connections connections;

  private RedisLink(
      ClientResources resources, AbstractRedisClient client, Connections connections) {
    this.resources = resources;
    this.client = client;
    this.connections = connections;
  }

  /** Connects to one server. */
  static RedisLink standalone(RedisURI uri, Duration timeout) {
    uri.setTimeout(timeout);
    return open(
        resources -> RedisClient.create(resources, uri),
        client -> {
          client.setOptions(options(ClientOptions.builder(), timeout).build());
          StatefulRedisConnection<String, String> connection = client.connect();
          return new Connections(
              connection, connection.async(), client.connectPubSub(), new OneServer(connection));
        });
  }

  /** Connects to a cluster through its seed nodes: commands are routed by key slot. */
  static RedisLink cluster(List<RedisURI> seeds, Duration timeout) {
    seeds.forEach(uri -> uri.setTimeout(timeout));
    return open(
        resources -> RedisClusterClient.create(resources, seeds),
        client -> {
          client.setOptions(
              ((ClusterClientOptions.Builder) options(ClusterClientOptions.builder(), timeout))
                  .build());
          StatefulRedisClusterConnection<String, String> connection = client.connect();
          // Node connections are opened lazily, and a command for a node whose connection is
          // still opening would be rejected (commands are rejected while disconnected): open them
          // now.
          for (RedisClusterNode node : connection.getPartitions()) {
            connection.getConnection(node.getUri().getHost(), node.getUri().getPort());
          }
          return new Connections(
              connection, connection.async(), client.connectPubSub(), new Masters(connection));
        });
  }

  /** Creates the resources and the client and connects it, releasing everything on failure. */
  private static <C extends AbstractRedisClient> RedisLink open(
      Function<ClientResources, C> create, Connector<C> connector) {
    ClientResources resources =
        DefaultClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
            .build();
    C client = create.apply(resources);
    try {
      return new RedisLink(resources, client, connector.connect(client));
    } catch (RuntimeException e) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      shutdown(resources);
      throw e;
    }
  }

  private static ClientOptions.Builder options(ClientOptions.Builder builder, Duration timeout) {
    return builder
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(timeout))
        .socketOptions(SocketOptions.builder().connectTimeout(timeout).build());
  }

  /** Commands routed to the node that holds their keys. */
  RedisClusterAsyncCommands<String, String> commands() {
    return connections.commands();
  }

  StatefulRedisPubSubConnection<String, String> pubSub() {
    return connections.pubSub();
  }

  /** The ids of the nodes whose keys a listing must scan, in a stable order. */
  List<String> scanNodes() {
    return connections.topology().scanNodes();
  }

  /** Commands on one node of {@link #scanNodes()}. */
  RedisClusterAsyncCommands<String, String> node(String nodeId) {
    return connections.topology().node(nodeId);
  }

  @Override
  public void close() {
    connections.pubSub().close();
    connections.commandConnection().close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    shutdown(resources);
  }

  /** Stops the event loops and timers, waiting for them a little so close() leaves no threads. */
  private static void shutdown(ClientResources resources) {
    try {
      resources.shutdown(0, 2, TimeUnit.SECONDS).get(3, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Threads that outlive the wait are daemons and end on their own.
    }
  }
}
