package dev.chord.filestore;

import dev.chord.Chord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The process {@link WriteBehindKillIT} kills: updates 5 contexts in a loop on an in-memory Chord
 * with write-behind to a {@link FileContextStore}, printing {@code <id> <version> <epoch millis>}
 * after each commit, until it is killed.
 */
final class WriteBehindChild {
  private WriteBehindChild() {}

  public static void main(String[] args) throws InterruptedException {
    FileContextStore store = FileContextStore.create(Path.of(args[0]));
    Duration maxDelay = Duration.ofMillis(Long.parseLong(args[1]));
    Chord chord = Chord.builder().exporter(store).exportOnChange(maxDelay).build();
    for (long i = 1; ; i++) {
      String id = "c" + (i % 5);
      long version = chord.setContext(id, Map.of("n", i)).context().version();
      System.out.println(id + " " + version + " " + System.currentTimeMillis());
      System.out.flush();
      Thread.sleep(2);
    }
  }
}
