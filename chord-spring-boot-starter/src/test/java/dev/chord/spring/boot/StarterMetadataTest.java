package dev.chord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.context.annotation.ImportCandidates;

/**
 * What the jar tells Spring Boot and IDEs: the auto-configurations and the properties' metadata.
 */
class StarterMetadataTest {
  @Test
  void autoConfigurationImports_nameBothAutoConfigurations() {
    List<String> names = new ArrayList<>();
    ImportCandidates.load(AutoConfiguration.class, getClass().getClassLoader()).forEach(names::add);
    assertThat(names)
        .contains(
            ChordAutoConfiguration.class.getName(), ChordHealthAutoConfiguration.class.getName());
  }

  @Test
  void configurationMetadata_generatedForEveryProperty() throws IOException {
    String metadata;
    try (InputStream in =
        getClass()
            .getClassLoader()
            .getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("the configuration processor's output").isNotNull();
      metadata = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    for (String property :
        List.of(
            "chord.backend",
            "chord.delta-threshold",
            "chord.delta-ttl",
            "chord.context-ttl",
            "chord.cleanup-interval",
            "chord.redis.uri",
            "chord.redis.key-prefix",
            "chord.redis.timeout",
            "chord.postgres.table-prefix",
            "chord.postgres.timeout",
            "chord.postgres.create-schema")) {
      assertThat(metadata).contains("\"name\": \"" + property + "\"");
    }
    assertThat(metadata).doesNotContain("{@");
  }
}
