package dev.chord.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The example application on a real port, over real HTTP (the JDK's client). */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RoomsApplicationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();
  private final String room = "room-" + UUID.randomUUID();

  @Test
  void putGetPatchAndSync_overHttp() throws Exception {
    Reply created = send("PUT", "/rooms/" + room, Map.of("topic", "launch", "count", 1), null);
    assertThat(created.status()).isEqualTo(200);
    assertThat(created.body().get("version").asLong()).isEqualTo(1);
    String epoch = created.body().get("epoch").asText();
    assertThat(created.etag()).isEqualTo("\"" + epoch + ".1\"");

    Reply read = send("GET", "/rooms/" + room, null, null);
    assertThat(read.status()).isEqualTo(200);
    assertThat(read.body().get("data").get("topic").asText()).isEqualTo("launch");
    assertThat(read.etag()).isEqualTo(created.etag());

    Reply patched = send("PATCH", "/rooms/" + room, Map.of("count", 2), created.etag());
    assertThat(patched.status()).isEqualTo(200);
    assertThat(patched.body().get("version").asLong()).isEqualTo(2);
    assertThat(patched.body().get("data").get("topic").asText()).isEqualTo("launch");
    assertThat(patched.body().get("data").get("count").asInt()).isEqualTo(2);

    Reply patch = send("GET", "/rooms/" + room + "/sync?version=1&epoch=" + epoch, null, null);
    assertThat(patch.body().get("type").asText()).isEqualTo("patch");
    assertThat(patch.body().get("fromVersion").asLong()).isEqualTo(1);
    assertThat(patch.body().get("version").asLong()).isEqualTo(2);
    assertThat(patch.body().get("delta").toString()).contains("count");

    Reply same = send("GET", "/rooms/" + room + "/sync?version=2&epoch=" + epoch, null, null);
    assertThat(same.body().get("type").asText()).isEqualTo("no_change");

    Reply other =
        send("GET", "/rooms/" + room + "/sync?version=2&epoch=AAAAAAAAAAAAAAAA", null, null);
    assertThat(other.body().get("type").asText()).isEqualTo("full");
    assertThat(other.body().get("data").get("count").asInt()).isEqualTo(2);

    Reply fresh = send("GET", "/rooms/" + room + "/sync", null, null);
    assertThat(fresh.body().get("type").asText()).isEqualTo("full");
    assertThat(fresh.body().get("version").asLong()).isEqualTo(2);
  }

  @Test
  void staleIfMatch_412VersionConflict_andNothingStored() throws Exception {
    Reply created = send("PUT", "/rooms/" + room, Map.of("count", 1), null);
    send("PATCH", "/rooms/" + room, Map.of("count", 2), null);

    Reply stale = send("PATCH", "/rooms/" + room, Map.of("count", 99), created.etag());
    assertThat(stale.status()).isEqualTo(412);
    assertThat(stale.body().get("error").asText()).isEqualTo("version_conflict");
    assertThat(send("GET", "/rooms/" + room, null, null).body().get("data").get("count").asInt())
        .isEqualTo(2);
  }

  @Test
  void unknownRoom_404NotFound() throws Exception {
    Reply missing = send("GET", "/rooms/" + room, null, null);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.body().get("error").asText()).isEqualTo("not_found");
  }

  @Test
  void badIfMatch_400BadRequest() throws Exception {
    send("PUT", "/rooms/" + room, Map.of("count", 1), null);
    Reply bad = send("PATCH", "/rooms/" + room, Map.of("count", 2), "W/\"nonsense\"");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body().get("error").asText()).isEqualTo("bad_request");
  }

  @Test
  void actuator_chordHealthUpAndChordMeters() throws Exception {
    send("PUT", "/rooms/" + room, Map.of("count", 1), null);
    send("PATCH", "/rooms/" + room, Map.of("count", 2), null);

    Reply health = send("GET", "/actuator/health", null, null);
    assertThat(health.status()).isEqualTo(200);
    JsonNode chord = health.body().get("components").get("chord");
    assertThat(chord.get("status").asText()).isEqualTo("UP");
    assertThat(chord.get("details").get("backend").asText()).isEqualTo("InMemoryBackend");

    Reply updates =
        send("GET", "/actuator/metrics/chord.operations?tag=operation:update", null, null);
    assertThat(updates.status()).isEqualTo(200);
    JsonNode count = updates.body().get("measurements").get(0);
    assertThat(count.get("statistic").asText()).isEqualTo("COUNT");
    assertThat(count.get("value").asDouble()).isGreaterThanOrEqualTo(1);
  }

  private record Reply(int status, JsonNode body, @Nullable String etag) {}

  private Reply send(String method, String path, @Nullable Object body, @Nullable String ifMatch)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Accept", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (ifMatch != null) {
      request.header("If-Match", ifMatch);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(
        response.statusCode(),
        JSON.readTree(response.body()),
        response.headers().firstValue("ETag").orElse(null));
  }
}
