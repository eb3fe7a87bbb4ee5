package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a raw socket, for what the JDK's HttpClient will not send: any {@code Host}, a
 * lying {@code Content-Length}, a garbage request line, a body that stalls.
 */
final class RawHttp {
  private RawHttp() {}

  /** A status line, headers (names in lower case) and body, read off a socket. */
  record Answer(int status, Map<String, String> headers, String body) {
    Map<String, Object> json() {
      try {
        @SuppressWarnings("unchecked")
        Map<String, Object> json = Http.JSON.readValue(body, LinkedHashMap.class);
        return json;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Writes {@code request} as it is to a new connection and reads the answer, waiting at most
   * {@code timeoutMillis} for each read.
   */
  static Answer exchange(int port, byte[] request, int timeoutMillis) {
    try (Socket socket = new Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(timeoutMillis);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      return read(socket.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #exchange} of a request given as text. */
  static Answer exchange(int port, String request, int timeoutMillis) {
    return exchange(port, request.getBytes(UTF_8), timeoutMillis);
  }

  /**
   * Reads one answer: its head for a 101, else up to its {@code Content-Length} or the end of the
   * stream.
   */
  static Answer read(InputStream in) throws IOException {
    String head = readHead(in);
    String[] lines = head.split("\r\n", -1);
    int status = Integer.parseInt(lines[0].split(" ", -1)[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length && !lines[i].isEmpty(); i++) {
      int colon = lines[i].indexOf(':');
      headers.put(
          lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    if (status == 101) {
      return new Answer(status, headers, "");
    }
    String length = headers.get("content-length");
    byte[] content = length == null ? in.readAllBytes() : in.readNBytes(Integer.parseInt(length));
    return new Answer(status, headers, new String(content, UTF_8));
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = "\r\n\r\n".getBytes(UTF_8);
    while (matched < end.length) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the server closed before the end of its answer's head: " + head);
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
    }
    return head.toString(UTF_8);
  }
}
