package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.testsupport.Chromium;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chromium.ChromiumNetworkConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The demo and chord-client.js in real headless Chromium. */
class BrowserIT {
  static ChordServer server;
  static Http http;
  static ChromeDriver ann;
  static ChromeDriver bob;

  @BeforeAll
  static void start() throws Exception {
    server = ServerFixture.start();
    http = new Http(server.url());
    ann = Chromium.open();
    bob = Chromium.open();
  }

  @AfterAll
  static void stop() {
    if (ann != null) {
      ann.quit();
    }
    if (bob != null) {
      bob.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  String room;

  @BeforeEach
  void openRoom(org.junit.jupiter.api.TestInfo info) {
    room = "room:" + info.getTestMethod().orElseThrow().getName().replaceAll("[^A-Za-z0-9]", "");
  }

  @AfterEach
  void blank() {
    ann.get("about:blank");
    bob.get("about:blank");
  }

  static WebDriverWait waitOn(WebDriver driver) {
    return new WebDriverWait(driver, Duration.ofSeconds(20));
  }

  void enter(WebDriver driver, String name) {
    driver.get(server.url() + "/?room=" + room + "&name=" + name);
    waitOn(driver).until(d -> "live".equals(d.findElement(By.id("conn")).getText()));
  }

  static WebElement person(WebDriver driver, String name) {
    return waitOn(driver)
        .until(d -> d.findElement(By.cssSelector("#people li[data-name='" + name + "']")));
  }

  long serverVersion() {
    return ((Number) http.get("/contexts/" + room).json().get("version")).longValue();
  }

  String serverEpoch() {
    return (String) http.get("/contexts/" + room).json().get("epoch");
  }

  static Object script(WebDriver page, String script, Object... args) {
    return ((JavascriptExecutor) page).executeScript(script, args);
  }

  /** The demo page's client state, as JSON parsed back into a map. */
  static Map<String, Object> pageState(WebDriver page) {
    return parse((String) script(page, "return JSON.stringify(chordDemo.client.state);"));
  }

  /** {@code state} without the presence the server keeps in it. */
  static Map<String, Object> withoutPresence(Map<String, Object> state) {
    Map<String, Object> rest = new LinkedHashMap<>(state);
    rest.remove(Presence.KEY);
    return rest;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> parse(String json) {
    try {
      return Http.JSON.readValue(json, LinkedHashMap.class);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Chromium's own offline mode: navigator.onLine is false and every new connection fails. */
  static void setOffline(ChromeDriver page, boolean offline) {
    ChromiumNetworkConditions conditions = new ChromiumNetworkConditions();
    conditions.setOffline(offline);
    page.setNetworkConditions(conditions);
  }

  void waitForServerVersion(WebDriver driver) {
    waitOn(driver)
        .until(
            d -> d.findElement(By.id("version")).getText().equals(String.valueOf(serverVersion())));
  }

  @Test
  void twoPages_seeEachOthersEditsLive() {
    enter(ann, "Ann");
    enter(bob, "Bob");
    person(ann, "Bob");
    person(bob, "Ann");

    ann.findElement(By.id("todo-input")).sendKeys("Write the release notes");
    ann.findElement(By.id("add-todo")).click();
    waitOn(bob)
        .until(
            d ->
                d.findElements(By.cssSelector("#todos .todo .text")).stream()
                    .anyMatch(e -> e.getText().equals("Write the release notes")));

    new Select(bob.findElement(By.id("my-status"))).selectByValue("busy");
    waitOn(ann)
        .until(d -> person(d, "Bob").findElement(By.className("status")).getText().equals("busy"));

    bob.findElement(By.id("todo-input")).sendKeys("Buy");
    waitOn(ann)
        .until(
            d ->
                person(d, "Bob")
                    .findElement(By.className("typing"))
                    .getAttribute("class")
                    .contains("on"));

    bob.findElement(By.cssSelector("#todos .todo input[type=checkbox]")).click();
    waitOn(ann)
        .until(
            d ->
                d.findElement(By.cssSelector("#todos .todo"))
                    .getAttribute("class")
                    .contains("done"));

    ann.findElement(By.cssSelector("#todos .todo button.remove")).click();
    waitOn(bob).until(d -> d.findElements(By.cssSelector("#todos .todo")).isEmpty());

    waitForServerVersion(ann);
    waitForServerVersion(bob);
    assertThat(ann.findElement(By.id("delta-size")).getText()).matches("\\d+ B|[\\d.]+ KiB");
    assertThat(ann.findElements(By.cssSelector("#feed tr"))).isNotEmpty();
    // A closed tab leaves the room: the server removes its presence when its socket closes.
    bob.get("about:blank");
    waitOn(ann).until(d -> d.findElements(By.cssSelector("#people li[data-name='Bob']")).isEmpty());
  }

  @Test
  void droppedByTheServer_pageReconnectsAndCatchesUp() {
    enter(ann, "Ann");
    enter(bob, "Bob");
    person(ann, "Bob");
    ann.executeScript(
        "window.statuses = []; chordDemo.client.onStatus(s => window.statuses.push(s));");

    server.disconnectAll();
    Map<String, Object> todo = Map.of("text", "Added while you were away", "done", false, "at", 1);
    http.patch("/contexts/" + room, Map.of("todos", Map.of("away", todo)));
    http.patch("/contexts/" + room, Map.of("title", "Renamed room"));

    for (WebDriver page : List.of(ann, bob)) {
      waitOn(page)
          .until(
              d ->
                  d.findElements(By.cssSelector("#todos .todo .text")).stream()
                      .anyMatch(e -> e.getText().equals("Added while you were away")));
      waitForServerVersion(page);
      waitOn(page).until(d -> "live".equals(d.findElement(By.id("conn")).getText()));
    }
    @SuppressWarnings("unchecked")
    List<String> statuses = (List<String>) ann.executeScript("return window.statuses;");
    assertThat(statuses).contains("waiting").last().isEqualTo("live");
    assertThat(ann.getTitle()).contains("Renamed room");
  }

  /**
   * A page offline while its room is deleted and re-created, again at version 1 as the page's copy
   * was, comes back showing the new room: it reconnects with its (epoch, version), which names no
   * current state, so the server sends the new incarnation whole. Without epochs the page would be
   * told "no change" and keep the old room. Offline is Chromium's network emulation (the page's
   * reconnects really fail) and the server ending the socket the page had open, which emulation
   * leaves open.
   */
  @Test
  void offlineWhileTheRoomIsRecreated_pageShowsTheNewRoomOnly() {
    // The room does not exist yet: Ann's page creates it (version 1) and declares her presence
    // in it (version 2).
    enter(ann, "Ann");
    person(ann, "Ann");
    assertThat(serverVersion()).isEqualTo(2);
    String oldEpoch = serverEpoch();
    ann.executeScript(
        "window.seen = []; chordDemo.client.onChange((s, c) => seen.push({state:"
            + " JSON.stringify(s), type: c.type, version: c.version, epoch: c.epoch, reset:"
            + " c.reset})); window.statuses = []; chordDemo.client.onStatus(s =>"
            + " statuses.push(s));");
    Map<String, Object> todo = Map.of("text", "Start over", "done", false, "at", 1);
    Map<String, Object> fresh =
        Map.of("title", "New room", "participants", Map.of(), "todos", Map.of("n1", todo));
    try {
      setOffline(ann, true);
      server.disconnectAll();
      http.delete("/contexts/" + room);
      assertThat(http.put("/contexts/" + room, fresh).status()).isEqualTo(201);
      assertThat(serverVersion()).isEqualTo(1);
      // At least one reconnect failed after the room was re-created: the page was really offline.
      waitOn(ann)
          .until(d -> ((Number) script(d, "return chordDemo.client.attempt;")).intValue() >= 2);
      assertThat((List<?>) ann.executeScript("return window.seen;")).isEmpty();
      // Still the old room as it was: created, then Ann's presence.
      assertThat(ann.findElement(By.id("version")).getText()).isEqualTo("2");
    } finally {
      setOffline(ann, false);
    }
    String newEpoch = serverEpoch();
    assertThat(newEpoch).isNotEqualTo(oldEpoch);

    waitOn(ann)
        .until(d -> d.findElement(By.id("epoch")).getText().equals(newEpoch.substring(0, 6)));
    waitOn(ann).until(d -> "live".equals(d.findElement(By.id("conn")).getText()));
    assertThat(ann.getTitle()).contains("New room");
    // Who is in the new room: Ann alone, by the presence her page declared again on reconnecting.
    waitOn(ann).until(d -> d.findElements(By.cssSelector("#people li")).size() == 1);
    person(ann, "Ann");
    assertThat(ann.findElements(By.cssSelector("#todos .todo .text")))
        .extracting(WebElement::getText)
        .containsExactly("Start over");
    assertThat(withoutPresence(pageState(ann))).isEqualTo(fresh);
    assertThat(ann.executeScript("return chordDemo.client.epoch;")).isEqualTo(newEpoch);

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> seen =
        (List<Map<String, Object>>) ann.executeScript("return window.seen;");
    assertThat(seen).isNotEmpty();
    assertThat(seen.get(0))
        .containsEntry("type", "full")
        .containsEntry("reset", true)
        .containsEntry("version", 1L)
        .containsEntry("epoch", newEpoch);
    // Never the old room, nor the old room merged with the new one, at any step.
    assertThat(seen)
        .allSatisfy(
            c -> assertThat(withoutPresence(parse((String) c.get("state")))).isEqualTo(fresh));
    @SuppressWarnings("unchecked")
    List<String> statuses = (List<String>) ann.executeScript("return window.statuses;");
    assertThat(statuses).containsSubsequence("waiting", "connecting", "waiting").endsWith("live");
  }

  /**
   * A conditional write from the page with an ETag that no longer names the room's state fails with
   * 412 and stores nothing — also when the version number is current again but the room was
   * re-created — and the page goes on working.
   */
  @Test
  void staleEtag_writeFromThePageGets412_andThePageKeepsWorking() {
    enter(ann, "Ann"); // creates the room at version 1
    person(ann, "Ann");
    String stale = (String) ann.executeScript("return chordDemo.client.etag;");
    assertThat(stale).isEqualTo(http.get("/contexts/" + room).header("ETag"));

    http.delete("/contexts/" + room);
    Map<String, Object> recreated = Map.of("title", "Recreated", "todos", Map.of());
    http.put("/contexts/" + room, recreated);
    String epoch = serverEpoch();
    waitOn(ann).until(d -> d.findElement(By.id("epoch")).getText().equals(epoch.substring(0, 6)));
    assertThat(ann.findElement(By.id("version")).getText()).isEqualTo("1");

    assertThat(patchFromPage(ann, Map.of("title", "Overwritten"), stale))
        .containsEntry("status", 412L)
        .containsEntry("code", "version_conflict")
        .containsEntry("currentVersion", 1L)
        .containsEntry("currentEpoch", epoch);
    Map<String, Object> bare = patchFromPage(ann, Map.of("title", "Overwritten"), 1);
    assertThat(bare).containsEntry("name", "TypeError");
    assertThat((String) bare.get("message")).contains("\"<epoch>.<version>\"");
    assertThat(http.get("/contexts/" + room).map("data")).isEqualTo(recreated);

    assertThat(patchFromPage(ann, Map.of("title", "Renamed"), true)).containsEntry("stored", true);
    waitOn(ann).until(d -> d.getTitle().contains("Renamed"));
    String sameEpochStale = "\"" + epoch + ".1\"";
    assertThat(patchFromPage(ann, Map.of("title", "Overwritten"), sameEpochStale))
        .containsEntry("status", 412L)
        .containsEntry("currentVersion", 2L)
        .containsEntry("currentEpoch", epoch);

    ann.findElement(By.id("todo-input")).sendKeys("Still working");
    ann.findElement(By.id("add-todo")).click();
    waitOn(ann)
        .until(
            d ->
                d.findElements(By.cssSelector("#todos .todo .text")).stream()
                    .anyMatch(e -> e.getText().equals("Still working")));
    waitOn(ann).until(d -> pageState(d).equals(http.get("/contexts/" + room).map("data")));
    assertThat(ann.findElement(By.id("conn")).getText()).isEqualTo("live");
  }

  /** client.patch(changes, {ifMatch}) in the page: {stored: true} or the error's fields. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> patchFromPage(
      JavascriptExecutor page, Map<String, Object> changes, Object ifMatch) {
    return (Map<String, Object>)
        page.executeAsyncScript(
            "const done = arguments[arguments.length - 1];"
                + "chordDemo.client.patch(arguments[0], { ifMatch: arguments[1] }).then("
                + "  () => done({ stored: true }),"
                + "  (e) => done({ name: e.name, message: e.message, status: e.status ?? null,"
                + "    code: e.code ?? null, currentVersion: e.currentVersion ?? null,"
                + "    currentEpoch: e.currentEpoch ?? null }));",
            changes,
            ifMatch);
  }

  @Test
  void withAuth_thePageWorksWithItsTokenAndNotWithout() {
    String secret = "browser-secret-0123456789";
    try (ChordServer secured = ServerFixture.start(b -> b.authSecret(secret))) {
      String token =
          Tokens.mint(
              secret,
              "room:*",
              java.util.EnumSet.of(Right.READ, Right.WRITE),
              java.time.Instant.now().plusSeconds(600));
      ann.get(secured.url() + "/?room=room:secure&name=Ann&token=" + token);
      waitOn(ann).until(d -> "live".equals(d.findElement(By.id("conn")).getText()));
      person(ann, "Ann");
      assertThat(new Http(secured.url()).withToken(token).get("/contexts/room:secure").status())
          .isEqualTo(200);

      bob.get(secured.url() + "/?room=room:secure&name=Bob");
      waitOn(bob).until(d -> d.findElement(By.id("conn")).getText().contains("token needed"));
      assertThat(bob.findElements(By.cssSelector("#people li"))).isEmpty();
    }
  }

  /**
   * When the token of a live socket expires the server closes it with 4401: the client shows
   * "unauthorized" and stays so (with a 20 ms back-off it would otherwise be retrying at once)
   * until the application gives it a new token, then it reconnects and catches up.
   */
  @Test
  void expiredToken_clientWaitsForSetToken_thenCatchesUp() throws Exception {
    String secret = "browser-secret-0123456789";
    try (ChordServer secured = ServerFixture.start(b -> b.authSecret(secret))) {
      var rights = java.util.EnumSet.of(Right.READ, Right.WRITE);
      java.time.Instant now = java.time.Instant.now();
      String shortLived = Tokens.mint(secret, room, rights, now.plusSeconds(3));
      Http admin =
          new Http(secured.url())
              .withToken(Tokens.mint(secret, room, rights, now.plusSeconds(600)));
      admin.put("/contexts/" + room, Map.of("n", 1));
      ann.get(secured.url() + "/chord-client.js");
      ann.executeAsyncScript(
          "const done = arguments[arguments.length - 1];"
              + "import('/chord-client.js').then(({ ChordClient }) => {"
              + "  window.statuses = [];"
              + "  window.room = new ChordClient(arguments[0], { token: arguments[1], minDelay: 20,"
              + "    maxDelay: 20 });"
              + "  room.onStatus((s) => statuses.push(s));"
              + "  room.connect();"
              + "  done(true);"
              + "});",
          room,
          shortLived);
      waitOn(ann).until(d -> "live".equals(script(d, "return room.status;")));

      waitOn(ann).until(d -> "unauthorized".equals(script(d, "return room.status;")));
      admin.patch("/contexts/" + room, Map.of("n", 2));
      Thread.sleep(500); // 25 back-off periods: enough for a client that retries to show it
      assertThat(script(ann, "return room.status;")).isEqualTo("unauthorized");
      @SuppressWarnings("unchecked")
      List<String> statuses = (List<String>) script(ann, "return statuses;");
      assertThat(statuses).containsExactly("connecting", "live", "unauthorized");
      assertThat(script(ann, "return room.state.n;")).isEqualTo(1L);

      String renewed = Tokens.mint(secret, room, rights, java.time.Instant.now().plusSeconds(600));
      script(ann, "room.setToken(arguments[0]);", renewed);
      waitOn(ann).until(d -> "live".equals(script(d, "return room.status;")));
      waitOn(ann).until(d -> Long.valueOf(2).equals(script(d, "return room.state.n;")));
      assertThat(script(ann, "return room.version;")).isEqualTo(2L);
      script(ann, "room.close();");
    }
  }

  @Test
  void clientWrites_largeBodiesToo() {
    ann.get(server.url() + "/chord-client.js");
    Object status =
        ann.executeAsyncScript(
            "const done = arguments[arguments.length - 1];import('/chord-client.js').then(async ({"
                + " ChordClient }) => {  const c = new ChordClient(arguments[0]);  try { const r ="
                + " await c.put({ big: 'é'.repeat(100000) }); done(r.context.version); }  catch (e)"
                + " { done(String(e)); }});",
            room);
    assertThat(status).isEqualTo(1L);
    assertThat((String) http.get("/contexts/" + room).map("data").get("big")).hasSize(100000);
  }

  /**
   * chord-client.js in each wire format reproduces the server's state and epoch exactly after a
   * random sequence of sets, merges and deletes, with the server and the clients dropping
   * connections in between.
   */
  /**
   * Compression on, with Chromium's own permessage-deflate at the other end: it accepts the
   * server's answer (no context takeover either way), inflates what the server compresses (a
   * message in one frame and one in parts), and the server inflates what Chromium compresses (a
   * presence message).
   */
  @Test
  void withCompression_chromiumAndTheServerInflateEachOthersMessages() {
    try (ChordServer compressing = ServerFixture.start(b -> b.wsCompression(true))) {
      Http on = new Http(compressing.url());
      on.put("/contexts/" + room, Map.of("text", "hello ".repeat(200)));
      ann.get(compressing.url() + "/chord-client.js"); // any page of the server's origin
      String live = compressing.url().replace("http://", "ws://") + "/contexts/" + room + "/live";
      @SuppressWarnings("unchecked")
      Map<String, Object> opened =
          (Map<String, Object>)
              ann.executeAsyncScript(
                  "const done = arguments[arguments.length - 1];"
                      + "const ws = new WebSocket(arguments[0]); window.compressed = ws;"
                      + "window.received = [];"
                      + "ws.onmessage = e => window.received.push(e.data);"
                      + "ws.onopen = () => {"
                      + "  ws.send(JSON.stringify({type: 'presence', set: 'here '.repeat(100)}));"
                      + "  done({extensions: ws.extensions});"
                      + "};"
                      + "ws.onerror = () => done({extensions: 'error'});",
                  live);
      assertThat((String) opened.get("extensions"))
          .startsWith("permessage-deflate")
          .contains("server_no_context_takeover")
          .contains("client_no_context_takeover");
      waitOn(ann)
          .until(
              d ->
                  String.valueOf(on.get("/contexts/" + room).map("data").get("presence"))
                      .contains("here here"));
      // Larger than a part (LiveEndpoint.PART_CHARS): one compressed stream over several frames.
      on.patch("/contexts/" + room, Map.of("text", "again ".repeat(10_000)));
      waitOn(ann)
          .until(
              d ->
                  Boolean.TRUE.equals(
                      ((JavascriptExecutor) d)
                          .executeScript(
                              "return window.received.some(m => m.includes('hello hello'))"
                                  + " && window.received.some(m => m.includes('again again'));")));
      ann.executeScript("window.compressed.close();");
    }
  }

  @Test
  void clientReproducesServerState_afterRandomChangesAndReconnects() throws Exception {
    String fuzz = room + ":fuzz";
    ann.get(server.url() + "/chord-client.js"); // any page of the server's origin
    ann.executeAsyncScript(
        "const done = arguments[arguments.length - 1];import('/chord-client.js').then(({"
            + " ChordClient }) => {  window.fuzz = ['chord', 'json-patch', 'nested'].map(format => "
            + "   new ChordClient(arguments[0], { format, minDelay: 20, maxDelay: 200"
            + " }).connect());  done(true);});",
        fuzz);
    Random random = new Random(42);
    Map<String, Object> model = new LinkedHashMap<>();
    for (int step = 0; step < 160; step++) {
      int dice = random.nextInt(100);
      if (dice < 12 || model.isEmpty()) {
        model = tree(random, 3);
        http.put("/contexts/" + fuzz, model);
      } else if (dice < 15) {
        http.delete("/contexts/" + fuzz);
        model = new LinkedHashMap<>();
      } else if (dice < 20) {
        server.disconnectAll();
      } else if (dice < 24) {
        ann.executeScript("window.fuzz[arguments[0]].drop();", random.nextInt(3));
      } else {
        Map<String, Object> changes = tree(random, 2);
        assertThat(http.patch("/contexts/" + fuzz, changes).status()).isIn(200, 404);
      }
    }
    Http.Reply current = http.get("/contexts/" + fuzz);
    long version =
        current.status() == 404 ? 0 : ((Number) current.json().get("version")).longValue();
    Object epoch = current.status() == 404 ? null : current.json().get("epoch");
    Map<String, Object> expected = current.status() == 404 ? Map.of() : current.map("data");
    assertThat(version).as("with this seed the sequence ends on a context").isPositive();

    waitOn(ann)
        .withTimeout(Duration.ofSeconds(30))
        .until(
            d ->
                Boolean.TRUE.equals(
                    ((JavascriptExecutor) d)
                        .executeScript(
                            "return window.fuzz.every(c => c.version === arguments[0] && c.epoch"
                                + " === arguments[1] && c.status === 'live');",
                            version,
                            epoch)));
    for (int i = 0; i < 3; i++) {
      String state =
          (String) ann.executeScript("return JSON.stringify(window.fuzz[arguments[0]].state);", i);
      @SuppressWarnings("unchecked")
      Map<String, Object> actual = Http.JSON.readValue(state, LinkedHashMap.class);
      assertThat(actual).as("client %d", i).isEqualTo(expected);
    }
    ann.executeScript("window.fuzz.forEach(c => c.close());");
  }

  private static final String[] KEYS = {
    "a",
    "b",
    "c",
    "people",
    "action",
    "value",
    "key",
    "changes",
    "~",
    "/",
    "a/b",
    "~1",
    "",
    "é",
    "constructor"
  };

  /** A random JSON tree: maps, lists, strings, integers, non-integral doubles, booleans, nulls. */
  static Map<String, Object> tree(Random random, int depth) {
    Map<String, Object> map = new LinkedHashMap<>();
    int size = 1 + random.nextInt(4);
    for (int i = 0; i < size; i++) {
      map.put(KEYS[random.nextInt(KEYS.length)], value(random, depth));
    }
    return map;
  }

  static Object value(Random random, int depth) {
    int kind = random.nextInt(depth > 0 ? 8 : 6);
    switch (kind) {
      case 0:
        return random.nextInt(1000);
      case 1:
        return random.nextInt(100) + 0.25;
      case 2:
        return "s" + random.nextInt(50);
      case 3:
        return random.nextBoolean();
      case 4:
        return null;
      case 5:
        List<Object> list = new ArrayList<>();
        for (int i = random.nextInt(3); i > 0; i--) {
          list.add(random.nextInt(10));
        }
        return list;
      default:
        return tree(random, depth - 1);
    }
  }
}
