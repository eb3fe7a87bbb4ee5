package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to the runnable jar: it stops accepting, sends each live client a close frame {@code 1001
 * going away}, lets the request in flight finish, and exits 0.
 */
class ShutdownIT {
  @Test
  void sigterm_closesLiveSockets1001_finishesTheRequestInFlight_andExits0() throws Exception {
    File jar = new File(System.getProperty("chord.runnableJar", "target/chord-server.jar"));
    assertThat(jar).exists();
    ProcessBuilder command =
        new ProcessBuilder(
                System.getProperty("java.home") + "/bin/java",
                "-jar",
                jar.getPath(),
                "--port",
                "0",
                "--shutdown-grace",
                "20s",
                "--body-timeout",
                "20s")
            .redirectErrorStream(true);
    Process process = command.start();
    StringBuilder output = new StringBuilder();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8));
      String url = awaitUrl(out, output);
      Thread reader = new Thread(() -> drain(out, output), "jar-output");
      reader.setDaemon(true);
      reader.start();
      Http http = new Http(url);
      assertThat(http.put("/contexts/room:bye", Map.of("a", 1)).status()).isEqualTo(201);
      Live live = Live.connect(url, "/contexts/room:bye/live");
      assertThat(live.next()).containsEntry("type", "full");

      // A request in flight: its headers and half its body are in when the signal comes.
      int port = URI.create(url).getPort();
      String body = "{\"b\":2}";
      try (Socket upload = new Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
        upload.setSoTimeout(20_000);
        OutputStream up = upload.getOutputStream();
        up.write(
            ("PUT /contexts/room:inflight HTTP/1.1\r\nHost: 127.0.0.1:"
                    + port
                    + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length()
                    + "\r\n\r\n"
                    + body.substring(0, 3))
                .getBytes(UTF_8));
        up.flush();
        Thread.sleep(300); // the server has the request and waits for the rest of its body

        process.destroy(); // SIGTERM

        assertThat(live.closed.get(20, TimeUnit.SECONDS)).as("close code").isEqualTo(1001);
        up.write(body.substring(3).getBytes(UTF_8));
        up.flush();
        assertThat(RawHttp.read(upload.getInputStream()).status())
            .as("the request in flight finished")
            .isEqualTo(201);
      }
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exited").isTrue();
      assertThat(process.exitValue()).as("exit code; output:\n" + output).isZero();
    } finally {
      process.destroyForcibly();
    }
  }

  private static String awaitUrl(BufferedReader out, StringBuilder output) throws Exception {
    Pattern listening = Pattern.compile("Chord server on (http://\\S+)");
    for (String line; (line = out.readLine()) != null; ) {
      output.append(line).append('\n');
      Matcher m = listening.matcher(line);
      if (m.find()) {
        return m.group(1);
      }
    }
    throw new AssertionError("the jar printed no address:\n" + output);
  }

  private static void drain(BufferedReader out, StringBuilder output) {
    try {
      for (String line; (line = out.readLine()) != null; ) {
        synchronized (output) {
          output.append(line).append('\n');
        }
      }
    } catch (java.io.IOException ended) {
      // the process is gone
    }
  }
}
