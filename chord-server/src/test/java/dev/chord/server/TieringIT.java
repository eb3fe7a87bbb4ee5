package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.ChordEvent;
import dev.chord.filestore.FileContextStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --store dir --store-dir … --export-delay … --evict-after …} over HTTP. */
class TieringIT {
  @TempDir Path dir;

  @Test
  void exportDelayAndEvictAfter_contextsReachTheStoreAndComeBackWithTheirEpoch() throws Exception {
    Main main = new Main();
    new CommandLine(main)
        .parseArgs(
            "--port",
            "0",
            "--store",
            "dir",
            "--store-dir",
            dir.toString(),
            "--export-delay",
            "50ms",
            "--evict-after",
            "1h");
    ChordServerBuilderIT.MovingClock clock =
        new ChordServerBuilderIT.MovingClock(Instant.parse("2026-01-01T00:00:00Z"));
    List<ChordEvent> events = new CopyOnWriteArrayList<>();
    FileContextStore store = FileContextStore.create(dir);
    try (ChordServer server =
        main.builder().clock(clock).chord(c -> c.listener(events::add)).start()) {
      Http http = new Http(server.url());
      assertThat(http.put("/contexts/room:1", Map.of("n", 1)).status()).isEqualTo(201);
      String etag = http.put("/contexts/room:1", Map.of("n", 2)).header("ETag");

      // Write-behind: the newest version reaches the store without an export request.
      await()
          .atMost(10, TimeUnit.SECONDS)
          .until(() -> store.fetch("room:1").map(c -> c.version() == 2).orElse(false));

      clock.now = clock.now.plus(Duration.ofHours(2));
      assertThat(http.post("/admin/cleanup").status()).isEqualTo(200);
      assertThat(events).noneMatch(TieringIT::restored);

      // Evicted, then restored on access at the same epoch and version: the client's ETag holds.
      Http.Reply back = http.get("/contexts/room:1");
      assertThat(back.status()).isEqualTo(200);
      assertThat(back.header("ETag")).isEqualTo(etag);
      assertThat(events).filteredOn(TieringIT::restored).hasSize(1);
    }
  }

  @Test
  void delete_onATieredServer_staysDeleted() throws Exception {
    Main main = new Main();
    new CommandLine(main)
        .parseArgs("--port", "0", "--store-dir", dir.toString(), "--export-delay", "50ms");
    FileContextStore store = FileContextStore.create(dir);
    try (ChordServer server = main.builder().start()) {
      Http http = new Http(server.url());
      assertThat(http.put("/contexts/room:1", Map.of("n", 1)).status()).isEqualTo(201);
      await().atMost(10, TimeUnit.SECONDS).until(() -> store.fetch("room:1").isPresent());

      assertThat(http.delete("/contexts/room:1").status()).isEqualTo(204);

      // Without the store's delete, this GET would restore the exported copy.
      assertThat(http.get("/contexts/room:1").status()).isEqualTo(404);
      assertThat(store.fetch("room:1")).isEmpty();
    }
    assertThat(store.fetch("room:1")).isEmpty();
  }

  /** A restore on miss that found the context in the store (a PUT of a new id asks it first). */
  private static boolean restored(ChordEvent e) {
    return e.operation() == ChordEvent.Operation.RESTORE && e.outcome() == ChordEvent.Outcome.OK;
  }
}
