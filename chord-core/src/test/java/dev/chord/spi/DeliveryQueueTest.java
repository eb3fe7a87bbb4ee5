package dev.chord.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeliveryQueueTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(3);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  @Test
  void offers_areDeliveredInOrder_oneAtATime_acrossBatches() {
    List<Integer> delivered = new CopyOnWriteArrayList<>();
    AtomicBoolean inside = new AtomicBoolean();
    AtomicInteger overlaps = new AtomicInteger();
    DeliveryQueue<Integer> queue =
        new DeliveryQueue<>(
            pool,
            100_000,
            7,
            -1,
            n -> {
              if (!inside.compareAndSet(false, true)) {
                overlaps.incrementAndGet();
              }
              delivered.add(n);
              inside.set(false);
            },
            () -> {});

    IntStream.range(0, 20_000).forEach(queue::offer);

    await().atMost(Duration.ofSeconds(30)).until(() -> delivered.size() == 20_000);
    assertThat(delivered).isEqualTo(IntStream.range(0, 20_000).boxed().toList());
    assertThat(overlaps).hasValue(0);
  }

  @Test
  void tooManyWaiting_areReplacedByTheOverflowMessage() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> delivered = new CopyOnWriteArrayList<>();
    AtomicInteger overflows = new AtomicInteger();
    DeliveryQueue<Integer> queue =
        new DeliveryQueue<>(
            pool,
            10,
            64,
            -1,
            n -> {
              if (n == 0) {
                awaitQuietly(release);
              }
              delivered.add(n);
            },
            overflows::incrementAndGet);

    queue.offer(0);
    Thread.sleep(50); // lets the first delivery start and block; nothing below is timed
    IntStream.rangeClosed(1, 11).forEach(queue::offer);
    release.countDown();

    await().atMost(Duration.ofSeconds(30)).until(() -> delivered.contains(-1));
    assertThat(overflows).hasValue(1);
    assertThat(delivered).containsExactly(0, -1);
    queue.offer(42);
    await().atMost(Duration.ofSeconds(30)).until(() -> delivered.contains(42));
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
