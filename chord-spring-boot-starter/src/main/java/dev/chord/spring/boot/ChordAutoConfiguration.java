package dev.chord.spring.boot;

import dev.chord.Chord;
import dev.chord.micrometer.ChordMetrics;
import dev.chord.spi.Backend;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * One {@link Chord} bean from the {@code chord.*} properties ({@link ChordProperties}).
 *
 * <ul>
 *   <li>{@link Backend}: the one {@code chord.backend} names, unless the application defines a
 *       {@code Backend} bean (then the Chord is built on that one) or a {@code Chord} bean.
 *   <li>{@link Chord}: on that backend, with the properties that are set and every {@link
 *       ChordBuilderCustomizer} bean, unless the application defines its own. Closed with the
 *       context, and it closes its backend.
 *   <li>Meters, when chord-micrometer is on the class path and the application has a {@link
 *       MeterRegistry} (Spring Boot's Actuator makes one): {@link ChordMetrics#bind} on the
 *       builder, and the backend's gauges ({@link ChordMetrics#bindGauges}) as a {@link
 *       MeterBinder}.
 * </ul>
 *
 * The health indicator is {@link ChordHealthAutoConfiguration}'s.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"
    })
@ConditionalOnClass(Chord.class)
@EnableConfigurationProperties(ChordProperties.class)
public class ChordAutoConfiguration {
  /** Made by Spring. */
  public ChordAutoConfiguration() {}

  /**
   * The backend {@code chord.backend} names. Spring does not close it: the {@link Chord} bean does.
   */
  @Bean(destroyMethod = "")
  @ConditionalOnMissingBean({Backend.class, Chord.class})
  Backend chordBackend(
      ChordProperties properties,
      ObjectProvider<DataSource> dataSource,
      ApplicationContext applicationContext) {
    return Backends.create(
        properties, dataSource::getIfUnique, applicationContext.getClassLoader());
  }

  /** The Chord, on the application's or the auto-configured backend. */
  @Bean
  @ConditionalOnMissingBean
  Chord chord(
      ChordProperties properties,
      Backend backend,
      ObjectProvider<ChordBuilderCustomizer> customizers) {
    Chord.Builder builder = Chord.builder().backend(backend);
    set(properties.deltaThreshold(), builder::deltaThreshold);
    set(properties.deltaTtl(), builder::deltaTtl);
    if (properties.contextTtl() != null) {
      builder.contextTtl(properties.contextTtl()).contextAutoDelete(true);
    }
    set(properties.cleanupInterval(), builder::cleanupInterval);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.build();
  }

  private static <T> void set(@Nullable T value, Consumer<T> setting) {
    if (value != null) {
      setting.accept(value);
    }
  }

  /** Chord's meters in the application's registry, when chord-micrometer is there. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({ChordMetrics.class, MeterRegistry.class})
  static class Metrics {
    /** The timers and counters, bound to the builder of the auto-configured Chord. */
    @Bean
    ChordBuilderCustomizer chordMetricsCustomizer(ObjectProvider<MeterRegistry> registry) {
      return builder -> {
        MeterRegistry r = registry.getIfUnique();
        if (r != null) {
          ChordMetrics.bind(builder, r);
        }
      };
    }

    /**
     * The backend's cheap gauges (the in-memory backend's counts; none for Redis or PostgreSQL).
     */
    @Bean
    MeterBinder chordBackendMeters(ObjectProvider<Backend> backend) {
      return registry -> backend.ifUnique(b -> ChordMetrics.bindGauges(b, registry));
    }
  }
}
