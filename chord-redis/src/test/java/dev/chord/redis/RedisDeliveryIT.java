package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import dev.chord.Context;
import dev.chord.ContextListener;
import dev.chord.DeltaRecord;
import dev.chord.spi.Feed;
import dev.chord.tck.RecordingFeed;
import dev.chord.testsupport.RedisServers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * How pushes reach subscribers: each context in order, contexts independent of one another over a
 * bounded pool of delivery threads, and a bounded queue per context.
 */
class RedisDeliveryIT {
  private static final String PREFIX =
      "chord-delivery-" + UUID.randomUUID().toString().substring(0, 8);

  @AfterAll
  static void deleteKeys() {
    TestKeys.deleteKeys(RedisServers.standalone(), false, PREFIX);
  }

  private static RedisBackend.Builder node() {
    return RedisBackend.builder(RedisServers.standalone()).keyPrefix(PREFIX);
  }

  private static String id(String name) {
    return name + "-" + UUID.randomUUID();
  }

  /**
   * A listener that holds the first event pushed to it until {@code release} opens (at most a
   * minute, so a failing test ends), then passes every event on to {@code target}. The starting
   * state, which subscribe hands over on the subscribing thread, goes on at once.
   */
  private static final class Holding implements ContextListener {
    final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release;
    private final ContextListener target;

    Holding(CountDownLatch release, ContextListener target) {
      this.release = release;
      this.target = target;
    }

    private void hold() {
      if (entered.getCount() > 0) {
        entered.countDown();
        try {
          release.await(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void onDelta(DeltaRecord record) {
      hold();
      target.onDelta(record);
    }

    @Override
    public void onReset(Optional<Context> current) {
      hold();
      target.onReset(current);
    }

    @Override
    public void onStart(Optional<Context> current) {
      target.onStart(current);
    }
  }

  /**
   * Listeners of three contexts block (one fewer than the delivery threads): a fourth context's
   * subscriber still gets every commit. (With one delivery thread for all contexts, as before, the
   * first blocked listener stopped every other context's pushes.)
   */
  @Test
  void blockedListeners_doNotStopOtherContextsDeliveries() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (Chord writer = Chord.builder().backend(node().build()).build();
        RedisBackend subscriberNode = node().build();
        Chord subscriber = Chord.builder().backend(subscriberNode).build()) {
      List<Holding> blocked = new ArrayList<>();
      for (int i = 0; i < RedisBackend.DEFAULT_DELIVERY_THREADS - 1; i++) {
        String blockedId = id("blocked");
        Holding holding = new Holding(release, new Mirror());
        subscriber.subscribe(blockedId, holding);
        writer.setContext(blockedId, Map.of("n", 0));
        blocked.add(holding);
      }
      for (Holding holding : blocked) {
        assertThat(holding.entered.await(20, TimeUnit.SECONDS)).isTrue();
      }

      String free = id("free");
      Mirror mirror = new Mirror();
      subscriber.subscribe(free, mirror);
      writer.setContext(free, Map.of("n", 0));
      for (int i = 1; i <= 5; i++) {
        writer.updateContext(free, Map.of("n", i));
      }
      mirror.awaitState(subscriberNode.get(free));
      assertThat(mirror.events()).hasSize(6);
    } finally {
      release.countDown();
    }
  }

  /**
   * While a context's listener blocks, more commits arrive than one context may have waiting
   * ({@link Channels#MAX_QUEUED}): the queued messages are dropped for one reset without epoch, so
   * memory stays bounded, and once the listener goes on, Chord reads the context and the subscriber
   * ends at the stored state.
   */
  @Test
  void floodBeyondTheBound_endsInAResetAndAtTheStoredState() throws Exception {
    String id = id("flood");
    CountDownLatch release = new CountDownLatch(1);
    Mirror mirror = new Mirror();
    Holding holding = new Holding(release, mirror);
    RecordingFeed feed = new RecordingFeed();
    try (Chord writer = Chord.builder().backend(node().build()).build();
        RedisBackend subscriberNode = node().build();
        Chord subscriber = Chord.builder().backend(subscriberNode).build()) {
      subscriber.subscribe(id, holding);
      try (AutoCloseable raw = subscriberNode.subscribe(id, feed)) {
        writer.setContext(id, Map.of("n", 0));
        assertThat(holding.entered.await(20, TimeUnit.SECONDS)).isTrue();
        int commits = Channels.MAX_QUEUED + 100;
        for (int i = 1; i <= commits; i++) {
          writer.updateContext(id, Map.of("n", i));
        }
        release.countDown();

        // The first delta was taken off the queue before the flood: it comes, then the reset.
        assertThat(feed.awaitEvent("reset -1", 20)).containsExactly("delta 1");
        mirror.awaitState(subscriberNode.get(id));
        assertThat(mirror.events()).contains("reset " + (commits + 1));
        String last = "delta " + (commits + 1);
        assertThat(feed.awaitEvent(last, 20)).hasSizeLessThan(100).doesNotContain("reset -1");
      }
    } finally {
      release.countDown();
    }
  }

  /**
   * Forty contexts written by four threads at once, delivered by four threads: every context's feed
   * gets its versions in order, each once, never two calls at a time, and always on a delivery
   * thread (never on Lettuce's event loop). The feeds wait until every write is done, so each
   * context has a backlog of all its messages when delivery starts.
   */
  @Test
  void perContextOrder_isKeptUnderManyContexts() throws Exception {
    int contexts = 40;
    int versions = 30;
    int writers = 4;
    long seed = Long.getLong("chord.seed", System.nanoTime());
    List<String> ids = new ArrayList<>();
    List<List<Long>> seen = new ArrayList<>();
    Set<String> threads = ConcurrentHashMap.newKeySet();
    AtomicInteger overlaps = new AtomicInteger();
    CountDownLatch written = new CountDownLatch(1);
    try (Chord writer = Chord.builder().backend(node().build()).build();
        RedisBackend subscriberNode = node().deliveryThreads(4).build()) {
      List<AutoCloseable> subscriptions = new ArrayList<>();
      for (int c = 0; c < contexts; c++) {
        String id = id("order-" + c);
        List<Long> versionsSeen = new ArrayList<>();
        AtomicInteger inside = new AtomicInteger();
        Random jitter = new Random(seed + c);
        Feed feed =
            new Feed() {
              @Override
              public void onDelta(DeltaRecord record) {
                if (inside.incrementAndGet() > 1) {
                  overlaps.incrementAndGet();
                }
                threads.add(Thread.currentThread().getName());
                try {
                  written.await(1, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                // A short, varying pause, so that contexts' deliveries interleave over the pool.
                LockSupport.parkNanos(jitter.nextInt(200_000));
                synchronized (versionsSeen) {
                  versionsSeen.add(record.version());
                }
                inside.decrementAndGet();
              }
            };
        subscriptions.add(subscriberNode.subscribe(id, feed));
        ids.add(id);
        seen.add(versionsSeen);
      }
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          int first = w;
          futures.add(
              pool.submit(
                  () -> {
                    for (int v = 1; v <= versions; v++) {
                      for (int c = first; c < contexts; c += writers) {
                        writer.setContext(ids.get(c), Map.of("v", v));
                      }
                    }
                  }));
        }
        for (Future<?> future : futures) {
          future.get(120, TimeUnit.SECONDS);
        }
      } finally {
        written.countDown();
        pool.shutdownNow();
      }
      List<Long> expected = new ArrayList<>();
      for (long v = 1; v <= versions; v++) {
        expected.add(v);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      for (int c = 0; c < contexts; c++) {
        List<Long> versionsSeen = seen.get(c);
        while (System.nanoTime() < deadline && sizeOf(versionsSeen) < versions) {
          Thread.sleep(20);
        }
        synchronized (versionsSeen) {
          assertThat(versionsSeen).as("context %d, seed %d", c, seed).isEqualTo(expected);
        }
      }
      assertThat(overlaps).as("seed %d", seed).hasValue(0);
      assertThat(threads).allMatch(name -> name.startsWith("chord-redis-feed-"));
      for (AutoCloseable subscription : subscriptions) {
        subscription.close();
      }
    }
  }

  private static int sizeOf(List<Long> list) {
    synchronized (list) {
      return list.size();
    }
  }
}
