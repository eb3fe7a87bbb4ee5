package dev.chord.spring.boot;

import dev.chord.spi.Backend;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Up when the backend answers one read ({@link Backend#probe}, as chord-server's probes do), down
 * with the error when it fails. The read goes straight to the backend, not through {@code Chord},
 * so health checks do not show in the operation meters; it is bounded by the backend's own timeout
 * ({@code chord.redis.timeout}, {@code chord.postgres.timeout}), after which the backend throws.
 */
final class ChordHealthIndicator extends AbstractHealthIndicator {
  private final Backend backend;

  ChordHealthIndicator(Backend backend) {
    super("Chord health check failed");
    this.backend = backend;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    backend.probe();
    builder.up().withDetail("backend", backend.getClass().getSimpleName());
  }
}
