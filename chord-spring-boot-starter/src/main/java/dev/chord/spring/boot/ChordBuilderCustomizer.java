package dev.chord.spring.boot;

import dev.chord.Chord;

/**
 * A bean that adjusts the {@link Chord.Builder} the auto-configured {@link Chord} is built from,
 * after the {@code chord.*} properties are applied: a listener, an exporter, a clock, a cleanup
 * scheduler. Customizers run in {@link org.springframework.core.annotation.Order} order.
 *
 * <pre>{@code
 * @Bean
 * ChordBuilderCustomizer exportToFiles(MyExporter exporter) {
 *   return builder -> builder.exporter(exporter);
 * }
 * }</pre>
 */
@FunctionalInterface
public interface ChordBuilderCustomizer {
  /** Adjusts {@code builder}; its {@code build()} is called by the auto-configuration. */
  void customize(Chord.Builder builder);
}
