package dev.chord.filestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chord.Context;
import dev.chord.Epochs;
import dev.chord.spi.Snapshots;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** FileContextStore on a real directory. */
@Timeout(120)
class FileContextStoreIT {
  @TempDir Path dir;

  private static Context context(String id, long version, String epoch, Object value) {
    return new Context(id, version, Snapshots.freeze(Map.of("v", value)), 1000 + version, epoch);
  }

  @Test
  void exportThenFetch_exactlyWhatWasExported() throws IOException {
    FileContextStore store = FileContextStore.create(dir.resolve("new/sub"));
    Context c =
        new Context(
            "room:1/ä",
            9,
            Snapshots.freeze(
                Map.of("big", Long.MAX_VALUE, "dec", new BigDecimal("2.500"), "d", 2.0)),
            123_456,
            Epochs.next());
    store.export(c);
    assertThat(store.fetch("room:1/ä")).contains(c);
    assertThat(store.fetch("room:2")).isEmpty();
    assertThat(Files.exists(dir.resolve("new/sub/room%3A1%2F%C3%A4.json"))).isTrue();
    try (Stream<Path> files = Files.list(store.directory())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("room%3A1%2F%C3%A4.json", ".locks");
    }
  }

  @Test
  void export_olderVersionOfSameEpoch_keepsTheNewer() throws IOException {
    FileContextStore store = FileContextStore.create(dir);
    String epoch = Epochs.next();
    store.export(context("a", 5, epoch, "five"));
    store.export(context("a", 4, epoch, "four"));
    store.export(context("a", 5, epoch, "another five"));
    assertThat(store.fetch("a").orElseThrow().data()).containsEntry("v", "five");
    store.export(context("a", 6, epoch, "six"));
    assertThat(store.fetch("a").orElseThrow().version()).isEqualTo(6);
  }

  @Test
  void export_otherEpoch_replacesWhateverVersion() throws IOException {
    FileContextStore store = FileContextStore.create(dir);
    store.export(context("a", 50, Epochs.next(), "old incarnation"));
    String next = Epochs.next();
    store.export(context("a", 1, next, "new incarnation"));
    assertThat(store.fetch("a").orElseThrow().epoch()).isEqualTo(next);
    assertThat(store.fetch("a").orElseThrow().version()).isEqualTo(1);
  }

  @Test
  void export_longId_hashedFileNameAndFetchable() throws IOException {
    FileContextStore store = FileContextStore.create(dir);
    String id = "ü".repeat(512);
    Context c = context(id, 1, Epochs.next(), 1L);
    store.export(c);
    assertThat(store.fileOf(id).getFileName().toString()).startsWith("~").hasSize(70);
    assertThat(store.fetch(id)).contains(c);
  }

  @Test
  void fileOf_idsDifferingInCaseOnly_namesDifferingInMoreThanCase() throws IOException {
    FileContextStore store = FileContextStore.create(dir);
    assertThat(FileContextStore.encode("room:1")).isEqualTo("room%3A1");
    assertThat(FileContextStore.encode("Room")).isEqualTo("%52oom");
    assertThat(FileContextStore.encode("%52oom")).isEqualTo("%2552oom");
    assertThat(FileContextStore.encode("a b~")).isEqualTo("a+b%7E");
    List<String> ids = List.of("room", "Room", "ROOM", "%52oom", "r%6Fom");
    List<String> names = new ArrayList<>();
    for (String id : ids) {
      names.add(store.fileOf(id).getFileName().toString().toLowerCase(java.util.Locale.ROOT));
      store.export(context(id, 1, Epochs.next(), id));
    }
    assertThat(names).doesNotHaveDuplicates();
    for (String id : ids) {
      assertThat(store.fetch(id).orElseThrow().data()).containsEntry("v", id);
    }
  }

  @Test
  void create_oldTemporaryFilesOfACrash_deletedYoungOnesKept() throws IOException {
    Path old = Files.writeString(dir.resolve(".export-1.tmp"), "{");
    Files.setLastModifiedTime(
        old, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(7200)));
    Path young = Files.writeString(dir.resolve(".export-2.tmp"), "{");
    FileContextStore.create(dir);
    assertThat(old).doesNotExist();
    assertThat(young).exists();
  }

  @Test
  void fetch_fileOfTheEarlierServerFormat_readWithoutEpoch() throws IOException {
    Files.writeString(
        dir.resolve("room.json"),
        "{\"contextId\":\"room\",\"version\":3,\"insertedAt\":17,\"data\":{\"n\":1,\"x\":1.5}}");
    Context c = FileContextStore.create(dir).fetch("room").orElseThrow();
    assertThat(c).isEqualTo(new Context("room", 3, Map.of("n", 1L, "x", 1.5), 17, null));
  }

  @Test
  void fetch_corruptOrForeignFile_ioExceptionNamingTheFile() throws IOException {
    FileContextStore store = FileContextStore.create(dir);
    Files.writeString(dir.resolve("bad.json"), "{\"version\": 1, \"data\": ");
    assertThatThrownBy(() -> store.fetch("bad"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("bad.json");
    store.export(context("other", 1, Epochs.next(), 1L));
    Files.copy(dir.resolve("other.json"), dir.resolve("copied.json"));
    assertThatThrownBy(() -> store.fetch("copied"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("holds context 'other'");
    // An unreadable file is replaced by the next export.
    store.export(context("bad", 1, Epochs.next(), 1L));
    assertThat(store.fetch("bad")).isPresent();
  }

  @Test
  void delete_removesTheFile() throws IOException {
    FileContextStore store = FileContextStore.create(dir);
    store.export(context("a", 1, Epochs.next(), 1L));
    store.delete("a");
    assertThat(store.fileOf("a")).doesNotExist();
    assertThat(store.fetch("a")).isEmpty();
    store.delete("a");
    assertThat(store.fetch("a")).isEmpty();
  }

  @Test
  void create_pathIsAFile_uncheckedIoException() throws IOException {
    Path file = Files.writeString(dir.resolve("f"), "x", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> FileContextStore.create(file))
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageContaining(file.toString());
  }

  /**
   * Two stores on one directory (two nodes), 4 threads each, exporting shuffled versions of one
   * epoch for a few ids at once: every file ends at the highest version exported, nothing torn.
   */
  @Test
  void export_twoNodesRacing_newestVersionWinsForEveryId() throws Exception {
    FileContextStore nodeA = FileContextStore.create(dir);
    FileContextStore nodeB = FileContextStore.create(dir);
    String epoch = Epochs.next();
    int threads = 8;
    int ids = 3;
    int versions = 60;
    long seed = System.nanoTime();
    System.out.println("export_twoNodesRacing seed " + seed);
    Map<String, AtomicLong> highest = new ConcurrentHashMap<>();
    CyclicBarrier start = new CyclicBarrier(threads);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      FileContextStore store = t % 2 == 0 ? nodeA : nodeB;
      Random random = new Random(seed + t);
      Thread worker =
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < versions; i++) {
                    String id = "id" + random.nextInt(ids);
                    long version = 1 + random.nextInt(1000);
                    store.export(context(id, version, epoch, "v" + version));
                    highest
                        .computeIfAbsent(id, k -> new AtomicLong())
                        .accumulateAndGet(version, Math::max);
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              });
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    assertThat(failure.get()).isNull();
    for (Map.Entry<String, AtomicLong> e : highest.entrySet()) {
      Context stored = nodeB.fetch(e.getKey()).orElseThrow();
      assertThat(stored.version())
          .as("seed %d, %s", seed, e.getKey())
          .isEqualTo(e.getValue().get());
      assertThat(stored.data()).containsEntry("v", "v" + stored.version());
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }
}
