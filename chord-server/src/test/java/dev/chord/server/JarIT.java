package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The two artifacts: the runnable jar the README's command starts ({@code target/chord-server.jar},
 * attached as classifier {@code all}) and the library jar an embedder depends on.
 */
class JarIT {
  @Test
  void runnableJar_startsAndServesTheDemo() throws Exception {
    File jar = new File(System.getProperty("chord.runnableJar", "target/chord-server.jar"));
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

  /** The main artifact holds the server's own classes only: its POM brings Javalin, Jetty, … */
  @Test
  void libraryJar_holdsNoDependency() throws Exception {
    String path = System.getProperty("chord.libraryJar");
    assertThat(path).as("failsafe names the library jar").isNotNull();
    try (JarFile jar = new JarFile(path)) {
      List<String> names = jar.stream().map(JarEntry::getName).toList();
      assertThat(names).contains("dev/chord/server/ChordServer.class", "public/chord-client.js");
      assertThat(names).allMatch(JarIT::isOurs, "the server's own classes and resources");
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isNull();
    }
  }

  private static boolean isOurs(String entry) {
    return List.of("dev/", "dev/chord/", "META-INF/", "META-INF/MANIFEST.MF", "module-info.class")
            .contains(entry)
        || entry.startsWith("dev/chord/server/")
        || entry.startsWith("public/")
        || "META-INF/maven/dev.chord/chord-server/".startsWith(entry)
        || entry.startsWith("META-INF/maven/dev.chord/chord-server/");
  }
}
