package dev.chord.server;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium for the browser tests: the Debian packages {@code chromium} and {@code
 * chromium-driver}, installed with apt-get when missing. Without them the tests are skipped locally
 * and fail in CI (env {@code CI=true}).
 */
final class Chromium {
  static final File BROWSER = new File("/usr/bin/chromium");
  static final File DRIVER = new File("/usr/bin/chromedriver");

  private Chromium() {}

  /** Installs the packages if needed; skips (or, in CI, fails) the test if that is impossible. */
  static void require() {
    if (!BROWSER.canExecute() || !DRIVER.canExecute()) {
      install();
    }
    boolean present = BROWSER.canExecute() && DRIVER.canExecute();
    if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(
          "CI needs headless Chromium: apt-get install -y chromium chromium-driver failed");
    }
    Assumptions.assumeTrue(present, "chromium and chromium-driver are not installed");
  }

  private static void install() {
    if (!run("apt-get", "install", "-y", "chromium", "chromium-driver")) {
      run("apt-get", "update");
      run("apt-get", "install", "-y", "chromium", "chromium-driver");
    }
  }

  private static boolean run(String... command) {
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!process.waitFor(10, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        return false;
      }
      return process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A new headless browser with its own fresh profile. */
  static ChromeDriver open() throws IOException {
    Path profile = Files.createTempDirectory("chord-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,800",
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER).usingAnyFreePort().build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    return driver;
  }
}
