package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.testsupport.Chromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo at phone width (390 CSS px, an iPhone 12–15) in headless Chromium: nothing overflows the
 * viewport, the controls that used to be cut off are inside it, the room's name is shown, and the
 * page names its icon (no {@code /favicon.ico} 404). Saves a screenshot to {@code
 * target/demo-390px.png}.
 */
class DemoPhoneIT {
  static ChordServer server;
  static ChromeDriver page;

  @BeforeAll
  static void start() {
    server = ServerFixture.start();
    page = Chromium.open();
    page.executeCdpCommand(
        "Emulation.setDeviceMetricsOverride",
        Map.of("width", 390, "height", 844, "deviceScaleFactor", 2, "mobile", true));
  }

  @AfterAll
  static void stop() {
    if (page != null) {
      page.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void at390px_nothingOverflows_theRoomNameShows_andThereIsAnIcon() throws Exception {
    page.get(server.url() + "/?room=room:phone&name=Bartholomew-Longname");
    WebDriverWait wait = new WebDriverWait(page, Duration.ofSeconds(20));
    wait.until(d -> "live".equals(d.findElement(By.id("conn")).getText()));
    wait.until(d -> !d.findElements(By.cssSelector("#people li")).isEmpty());
    page.findElement(By.id("todo-input"))
        .sendKeys("Announce https://chord.example.com/releases/2026/launch-of-the-team-room-demo");
    page.findElement(By.id("add-todo")).click();
    wait.until(d -> !d.findElements(By.cssSelector("#todos .todo .by")).isEmpty());
    page.findElement(By.id("todo-input")).sendKeys("typing");
    wait.until(d -> !d.findElements(By.cssSelector("#people .typing.on")).isEmpty());

    Files.write(Path.of("target", "demo-390px.png"), page.getScreenshotAs(OutputType.BYTES));
    assertThat(((Number) page.executeScript("return innerWidth;")).intValue()).isEqualTo(390);
    assertThat(
            (Boolean)
                page.executeScript("return document.documentElement.scrollWidth <= innerWidth;"))
        .as("no horizontal scrollbar")
        .isTrue();
    for (String selector :
        List.of(
            "#my-status",
            "#add-todo",
            "#todos .todo .by",
            "#todos .todo .remove",
            "#people .typing.on",
            "#conn",
            "#room-title")) {
      Map<?, ?> box =
          (Map<?, ?>)
              page.executeScript(
                  "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
                      + " return {left: r.left, right: r.right, width: r.width};",
                  selector);
      assertThat(((Number) box.get("left")).doubleValue()).as(selector + " left").isNotNegative();
      assertThat(((Number) box.get("right")).doubleValue())
          .as(selector + " right")
          .isLessThanOrEqualTo(390);
      assertThat(((Number) box.get("width")).doubleValue()).as(selector + " width").isPositive();
    }
    assertThat(page.findElement(By.id("room-title")).getText()).isEqualTo("Team room");
    assertThat(page.findElement(By.id("room-id")).getText()).isEqualTo("room:phone");
    assertThat(page.findElements(By.cssSelector("head link[rel~='icon'][href]")))
        .as("an icon the page names, so the browser asks no /favicon.ico")
        .isNotEmpty();
  }
}
