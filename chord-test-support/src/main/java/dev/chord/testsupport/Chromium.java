package dev.chord.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium for the browser tests: {@code chromium} and {@code chromedriver} on the PATH
 * (Debian packages {@code chromium} and {@code chromium-driver}), or the binaries named by {@code
 * -Dchord.test.chromium} / {@code CHORD_TEST_CHROMIUM} and {@code -Dchord.test.chromedriver} /
 * {@code CHORD_TEST_CHROMEDRIVER}. Needs Selenium's {@code selenium-chrome-driver} on the test
 * class path.
 */
public final class Chromium {
  private Chromium() {}

  /** A new headless browser with its own fresh profile and no background networking. */
  public static ChromeDriver open() {
    return Services.require("headless Chromium", Chromium::start);
  }

  private static ChromeDriver start() throws IOException {
    Path browser = binary("chord.test.chromium", "CHORD_TEST_CHROMIUM", "chromium", "chromium");
    Path driverBinary =
        binary(
            "chord.test.chromedriver",
            "CHORD_TEST_CHROMEDRIVER",
            "chromedriver",
            "chromium-driver");
    Path profile = Files.createTempDirectory("chord-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(browser.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1200,800",
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(driverBinary.toFile())
            .usingAnyFreePort()
            .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    return driver;
  }

  private static Path binary(String property, String env, String name, String debianPackage)
      throws IOException {
    var configured = Services.setting(property, env);
    if (configured.isPresent()) {
      return Path.of(configured.get());
    }
    return Services.requireExecutable(name, debianPackage);
  }
}
