package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.chord.redis.RedisBackend;
import dev.chord.testsupport.RedisServer;
import dev.chord.testsupport.RedisServers;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Presence over real sockets: a live connection's {@code presence} message puts its value under
 * {@code /presence/<connection id>}, touching nothing else, and the entry goes when the connection
 * closes, or, on Redis, when its node is killed and its lease expires.
 */
class PresenceIT {
  @Test
  void presence_isAnOrdinaryCommitUnderItsOwnKey_andGoesWithTheConnection() throws Exception {
    try (ChordServer server = ServerFixture.start()) {
      Http http = new Http(server.url());
      http.put("/contexts/room:p", Map.of("topic", "launch"));
      try (Live watcher = Live.connect(server.url(), "/contexts/room:p/live")) {
        assertThat(watcher.next()).containsEntry("type", "full");
        Live ann = Live.connect(server.url(), "/contexts/room:p/live");
        ann.next();
        ann.sendText("{\"type\":\"presence\",\"set\":{\"name\":\"ann\",\"topic\":\"mine\"}}");

        Map<String, Object> patch = watcher.next();
        assertThat(patch).containsEntry("type", "patch").containsEntry("version", 2);
        Map<String, Object> data = http.get("/contexts/room:p").map("data");
        assertThat(data).containsEntry("topic", "launch");
        @SuppressWarnings("unchecked")
        Map<String, Object> entries = (Map<String, Object>) data.get("presence");
        assertThat(entries).hasSize(1);
        String key = entries.keySet().iterator().next();
        assertThat(entries.get(key)).isEqualTo(Map.of("name", "ann", "topic", "mine"));

        // A new value replaces the old one whole, it does not merge into it.
        ann.sendText("{\"type\":\"presence\",\"set\":{\"name\":\"ann\",\"typing\":true}}");
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    presenceOf(http, "room:p")
                        .equals(Map.of(key, Map.of("name", "ann", "typing", true))));

        // Many values at once: written at most every 100 ms, the last one always.
        for (int i = 0; i < 50; i++) {
          ann.sendText("{\"type\":\"presence\",\"set\":" + i + "}");
        }
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> presenceOf(http, "room:p").equals(Map.of(key, 49)));
        long version = ((Number) http.get("/contexts/room:p").json().get("version")).longValue();
        assertThat(version).as("coalesced, not one commit per message").isLessThan(3 + 50);

        ann.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> presenceOf(http, "room:p").isEmpty());
        assertThat(http.get("/contexts/room:p").map("data")).isEqualTo(Map.of("topic", "launch"));
      }
    }
  }

  @Test
  void aPresenceValueOverTheLimit_orMalformed_closesTheSocket1008_andStoresNothing() {
    try (ChordServer server = ServerFixture.start()) {
      Http http = new Http(server.url());
      http.put("/contexts/room:q", Map.of("a", 1));
      for (String message :
          new String[] {
            "{\"type\":\"presence\",\"set\":\"" + "x".repeat(2000) + "\"}",
            "{\"type\":\"presence\"}",
            "not json"
          }) {
        Live live = Live.connect(server.url(), "/contexts/room:q/live");
        live.next();
        live.sendText(message);
        assertThat(live.closed.orTimeout(10, TimeUnit.SECONDS).join()).isEqualTo(1008);
      }
      assertThat(http.get("/contexts/room:q").json()).containsEntry("version", 1);
    }
  }

  /**
   * Node A, the runnable jar on a real Redis, is killed (SIGKILL) while a client of its declares
   * presence; node B removes that presence once A's lease (15 s by default) has expired.
   */
  @Test
  void aKilledNodesPresence_isRemovedByAnotherNode_whenItsLeaseExpires() throws Exception {
    try (RedisServer redis = RedisServers.own();
        ChordServer nodeB =
            ServerFixture.start(s -> s.backend(RedisBackend.connect(redis.uri()), "redis"))) {
      Http b = new Http(nodeB.url());
      b.put("/contexts/room:crash", Map.of("topic", "t"));
      File jar = new File(System.getProperty("chord.runnableJar", "target/chord-server.jar"));
      Process nodeA =
          new ProcessBuilder(
                  System.getProperty("java.home") + "/bin/java",
                  "-jar",
                  jar.getPath(),
                  "--port",
                  "0",
                  "--backend",
                  "redis",
                  "--redis-uri",
                  redis.uri())
              .redirectErrorStream(true)
              .start();
      try {
        String urlA = awaitUrl(nodeA);
        Live onA = Live.connect(urlA, "/contexts/room:crash/live");
        onA.next();
        onA.sendText("{\"type\":\"presence\",\"set\":{\"name\":\"ann\"}}");
        await().atMost(Duration.ofSeconds(10)).until(() -> presenceOf(b, "room:crash").size() == 1);

        nodeA.destroyForcibly(); // SIGKILL: A removes nothing
        assertThat(nodeA.waitFor(10, TimeUnit.SECONDS)).isTrue();
        long killed = System.nanoTime();
        assertThat(presenceOf(b, "room:crash")).as("still there right after the kill").hasSize(1);

        await()
            .atMost(Duration.ofSeconds(45))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> presenceOf(b, "room:crash").isEmpty());
        System.out.printf(
            "PresenceIT: a killed node's presence was gone %d ms after the kill%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
        assertThat(b.get("/contexts/room:crash").map("data")).isEqualTo(Map.of("topic", "t"));
      } finally {
        nodeA.destroyForcibly();
      }
    }
  }

  /** The presence entries of {@code id}, as a read through {@code http} has them. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> presenceOf(Http http, String id) {
    Object entries = http.get("/contexts/" + id).map("data").get("presence");
    return entries == null ? Map.of() : (Map<String, Object>) entries;
  }

  private static String awaitUrl(Process process) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8));
    Pattern listening = Pattern.compile("Chord server on (http://\\S+)");
    StringBuilder seen = new StringBuilder();
    for (String line; (line = out.readLine()) != null; ) {
      seen.append(line).append('\n');
      Matcher m = listening.matcher(line);
      if (m.find()) {
        Thread drain =
            new Thread(
                () -> {
                  try {
                    out.transferTo(java.io.Writer.nullWriter());
                  } catch (java.io.IOException gone) {
                    // the process ended
                  }
                });
        drain.setDaemon(true);
        drain.start();
        return m.group(1);
      }
    }
    throw new AssertionError("node A printed no address:\n" + seen);
  }
}
