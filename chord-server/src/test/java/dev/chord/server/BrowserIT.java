package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

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
    Chromium.require();
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
   * chord-client.js in each wire format reproduces the server's state exactly after a random
   * sequence of sets, merges and deletes, with the server and the clients dropping connections in
   * between.
   */
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
    Map<String, Object> expected = current.status() == 404 ? Map.of() : current.map("data");
    assertThat(version).as("with this seed the sequence ends on a context").isPositive();

    waitOn(ann)
        .withTimeout(Duration.ofSeconds(30))
        .until(
            d ->
                Boolean.TRUE.equals(
                    ((JavascriptExecutor) d)
                        .executeScript(
                            "return window.fuzz.every(c => c.version === arguments[0] && c.status"
                                + " === 'live');",
                            version)));
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
