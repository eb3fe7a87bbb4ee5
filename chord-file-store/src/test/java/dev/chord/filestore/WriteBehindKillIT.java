package dev.chord.filestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Context;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a {@code kill -9} can lose with {@code exportOnChange(maxDelay)}: a child JVM commits in a
 * loop, is killed with SIGKILL mid-run, and the store must hold, for every context, at least the
 * newest version committed more than {@code maxDelay} (plus a margin for a loaded machine) before
 * the kill, and every file must be whole.
 */
@Timeout(120)
class WriteBehindKillIT {
  private static final long MAX_DELAY_MS = 300;

  /** Scheduling and fsync latency on a busy 2-core CI machine; the bound itself is maxDelay. */
  private static final long MARGIN_MS = 1000;

  private record Commit(String id, long version, long at) {}

  @TempDir Path dir;

  @Test
  void killMinus9_storeLosesAtMostTheLastMaxDelayOfChanges() throws Exception {
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                WriteBehindChild.class.getName(),
                dir.toString(),
                Long.toString(MAX_DELAY_MS))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    List<Commit> commits = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  String[] f = line.split(" ");
                  commits.add(new Commit(f[0], Long.parseLong(f[1]), Long.parseLong(f[2])));
                }
              } catch (java.io.IOException e) {
                // The pipe closes when the child dies.
              }
            });
    reader.start();
    try {
      // Run long enough for many flushes (at least 3 s of commits after the first).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while ((commits.isEmpty() || System.currentTimeMillis() - commits.get(0).at() < 3000)
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(commits).as("the child committed").isNotEmpty();
    } finally {
      long killedAt = System.currentTimeMillis();
      new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor();
      child.waitFor(30, TimeUnit.SECONDS);
      reader.join(30_000);
      assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
      checkStore(commits, killedAt);
    }
  }

  private void checkStore(List<Commit> commits, long killedAt) throws Exception {
    FileContextStore store = FileContextStore.create(dir);
    Map<String, Long> mustHave = new ConcurrentHashMap<>();
    Map<String, Long> newest = new ConcurrentHashMap<>();
    for (Commit c : commits) {
      newest.merge(c.id(), c.version(), Math::max);
      if (c.at() < killedAt - MAX_DELAY_MS - MARGIN_MS) {
        mustHave.merge(c.id(), c.version(), Math::max);
      }
    }
    assertThat(mustHave).as("commits older than the bound").isNotEmpty();
    long worstLagVersions = 0;
    for (Map.Entry<String, Long> e : newest.entrySet()) {
      Context stored = store.fetch(e.getKey()).orElseThrow();
      long floor = mustHave.getOrDefault(e.getKey(), 0L);
      assertThat(stored.version()).as(e.getKey()).isGreaterThanOrEqualTo(floor);
      // Never a version the child did not commit (the child may have committed more than it
      // printed before the kill, so only the first five versions past the printed ones are
      // allowed).
      assertThat(stored.version()).isLessThanOrEqualTo(e.getValue() + 5);
      worstLagVersions = Math.max(worstLagVersions, e.getValue() - stored.version());
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".json")).toList()) {
        // Every file is whole: it parses as an exported context.
        FileContextStore.decode(Files.readAllBytes(file));
      }
    }
    System.out.printf(
        "kill -9 after %d commits: every context within %d ms + %d ms margin of the kill was"
            + " stored; the worst context was %d versions behind its last printed commit%n",
        commits.size(), MAX_DELAY_MS, MARGIN_MS, worstLagVersions);
  }
}
