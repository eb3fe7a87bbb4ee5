package dev.chord.spring.boot;

import dev.chord.spi.Backend;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The health indicator {@code chord} (bean {@code chordHealthIndicator}): up when the {@link
 * Backend} bean answers a read, down with the error otherwise. Needs {@code spring-boot-health}
 * (Spring Boot's Actuator brings it) and a {@code Backend} bean, the auto-configured one or the
 * application's; {@code management.health.chord.enabled=false} turns it off.
 */
@AutoConfiguration(after = ChordAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnSingleCandidate(Backend.class)
@ConditionalOnEnabledHealthIndicator("chord")
public class ChordHealthAutoConfiguration {
  /** Made by Spring. */
  public ChordHealthAutoConfiguration() {}

  /** The indicator, unless the application defines a bean of that name. */
  @Bean
  @ConditionalOnMissingBean(name = "chordHealthIndicator")
  HealthIndicator chordHealthIndicator(Backend backend) {
    return new ChordHealthIndicator(backend);
  }
}
