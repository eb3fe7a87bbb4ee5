package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The kernel send buffers of a server's sockets, as {@code ss} reports them (Linux only). */
final class KernelSendBuffers {
  private KernelSendBuffers() {}

  private static final Pattern SOCKET = Pattern.compile("\\S+:(\\d+)\\s+\\S+:(\\d+)\\s*$");
  private static final Pattern SEND_BUFFER = Pattern.compile("\\btb(\\d+)\\b");

  /**
   * The kernel send buffer of each established server-side socket on {@code port}, by the peer's
   * port ({@code skmem}'s {@code tb}: twice the {@code SO_SNDBUF} asked for, or what Linux
   * auto-tuned).
   */
  static Map<Integer, Long> byPeerPort(int port) throws IOException, InterruptedException {
    Process ss =
        new ProcessBuilder("ss", "-tmnH", "state", "established", "( sport = :" + port + " )")
            .redirectErrorStream(true)
            .start();
    String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(ss.waitFor()).as("ss: %s", out).isZero();
    Map<Integer, Long> buffers = new HashMap<>();
    Integer peer = null;
    for (String line : out.lines().toList()) {
      // The socket and its skmem come on one line or two, depending on ss's version.
      Matcher socket = SOCKET.matcher(line.replaceAll("\\s*skmem:.*", ""));
      if (socket.find()) {
        peer = Integer.parseInt(socket.group(2));
      }
      Matcher buffer = SEND_BUFFER.matcher(line);
      if (buffer.find() && peer != null) {
        buffers.put(peer, Long.parseLong(buffer.group(1)));
        peer = null;
      }
    }
    assertThat(buffers.keySet()).as("ss output: %s", out).isNotEmpty();
    return buffers;
  }
}
