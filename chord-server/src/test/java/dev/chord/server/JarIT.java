package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's run command: the fat jar starts the demo on the in-memory default. */
class JarIT {
  @Test
  void fatJar_startsAndServesTheDemo() throws Exception {
    File jar = new File("target/chord-server.jar");
    assertThat(jar).exists();
    String java = System.getProperty("java.home") + "/bin/java";
    // The port comes from the environment, as CHORD_PORT: options and env vars are one thing.
    ProcessBuilder command =
        new ProcessBuilder(java, "-jar", jar.getPath()).redirectErrorStream(true);
    command.environment().put("CHORD_PORT", "0");
    Process process = command.start();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      Pattern listening = Pattern.compile("Chord server on (http://\\S+)");
      String url = null;
      boolean warned = false;
      for (String line; url == null && (line = out.readLine()) != null; ) {
        warned |= line.contains("AUTH IS OFF");
        Matcher m = listening.matcher(line);
        if (m.find()) {
          url = m.group(1);
        }
      }
      assertThat(url).as("the jar printed its address").isNotNull();
      assertThat(warned).as("an open server says so loudly").isTrue();
      Http http = new Http(url);
      assertThat(http.get("/health").json())
          .containsEntry("status", "ok")
          .containsEntry("backend", "memory");
      assertThat(http.get("/").body()).contains("Team room");
      assertThat(http.put("/contexts/room:jar", Map.of("a", 1)).status()).isEqualTo(201);
    } finally {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
