package dev.chord.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** A small real HTTP client for the tests: JSON in, status + parsed JSON out. */
final class Http {
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private String token;

  Http(String base) {
    this.base = base;
  }

  /** The base URL requests go to. */
  String base() {
    return base;
  }

  Http withToken(String token) {
    Http other = new Http(base);
    other.token = token;
    return other;
  }

  /** A response: status, headers and the body parsed as JSON (null if empty). */
  record Reply(int status, Map<String, Object> json, String body, HttpResponse<String> raw) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> map(String key) {
      return (Map<String, Object>) json.get(key);
    }
  }

  Reply get(String path) {
    return send(request(path).GET());
  }

  Reply delete(String path) {
    return send(request(path).DELETE());
  }

  Reply post(String path) {
    return send(request(path).POST(HttpRequest.BodyPublishers.noBody()));
  }

  Reply put(String path, Object body, String... headers) {
    return send(method("PUT", path, json(body), headers));
  }

  Reply patch(String path, Object body, String... headers) {
    return send(method("PATCH", path, json(body), headers));
  }

  /** A raw request: any method, body bytes as given, extra headers as name/value pairs. */
  Reply raw(String methodName, String path, byte[] body, String... headers) {
    HttpRequest.Builder b =
        request(path)
            .method(
                methodName,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  private HttpRequest.Builder method(String name, String path, byte[] body, String... headers) {
    HttpRequest.Builder b =
        request(path)
            .header("Content-Type", "application/json")
            .method(name, HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b;
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  static byte[] json(Object body) {
    try {
      return body instanceof byte[] bytes ? bytes : JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private Reply send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> response = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
      String body = response.body();
      Map<String, Object> json = null;
      if (body != null && !body.isEmpty() && body.startsWith("{")) {
        json = JSON.readValue(body, LinkedHashMap.class);
      }
      return new Reply(response.statusCode(), json, body, response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
