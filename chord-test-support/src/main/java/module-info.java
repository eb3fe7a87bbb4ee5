/** The real services the tests talk to: Redis, Redis Cluster, PostgreSQL, headless Chromium. */
module dev.chord.testsupport {
  requires org.junit.jupiter.api;
  requires static org.jspecify;
  requires static org.seleniumhq.selenium.chrome_driver;
  requires static org.seleniumhq.selenium.chromium_driver;
  requires static org.seleniumhq.selenium.remote_driver;
  requires static org.seleniumhq.selenium.api;

  exports dev.chord.testsupport;
}
