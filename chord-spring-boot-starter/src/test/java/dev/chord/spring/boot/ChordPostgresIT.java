package dev.chord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import dev.chord.jdbc.PostgresBackend;
import dev.chord.spi.Backend;
import dev.chord.testsupport.PostgresServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code chord.backend=postgres} on Spring Boot's own {@code DataSource} (HikariCP) over the shared
 * PostgreSQL, in a schema of this test's own that is dropped after.
 */
class ChordPostgresIT {
  private final String schema = "spring_it_" + UUID.randomUUID().toString().substring(0, 8);
  private final String url = PostgresServers.shared();

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class,
                  ChordAutoConfiguration.class,
                  ChordHealthAutoConfiguration.class))
          .withPropertyValues(
              "spring.datasource.url="
                  + url
                  + (url.contains("?") ? "&" : "?")
                  + "currentSchema="
                  + schema,
              "chord.backend=postgres");

  @BeforeEach
  void createSchema() throws SQLException {
    sql("create schema " + schema);
  }

  @AfterEach
  void dropSchema() throws SQLException {
    sql("drop schema " + schema + " cascade");
  }

  private void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  @Test
  void postgres_createsTheSchemaOfTheTablePrefixAndStoresThere() {
    runner
        .withPropertyValues("chord.postgres.table-prefix=app1")
        .run(
            context -> {
              assertThat(context.getBean(Backend.class)).isInstanceOf(PostgresBackend.class);
              context.getBean(Chord.class).setContext("room", Map.of("topic", "postgres"));
              PostgresBackend reader =
                  PostgresBackend.builder(context.getBean(DataSource.class))
                      .tablePrefix("app1")
                      .build();
              try {
                assertThat(reader.get("room").orElseThrow().data())
                    .isEqualTo(Map.of("topic", "postgres"));
              } finally {
                reader.close();
              }
              HealthIndicator health =
                  context.getBean("chordHealthIndicator", HealthIndicator.class);
              assertThat(health.health().getStatus()).isEqualTo(Status.UP);
              assertThat(health.health().getDetails()).containsEntry("backend", "PostgresBackend");
            });
  }

  @Test
  void createSchemaFalse_leavesTheDatabaseAlone_andHealthIsDown() {
    runner
        .withPropertyValues("chord.postgres.create-schema=false")
        .run(
            context -> {
              HealthIndicator health =
                  context.getBean("chordHealthIndicator", HealthIndicator.class);
              assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
            });
  }

  @Test
  void postgresTimeout_isPassedToTheBackend() {
    runner
        .withPropertyValues("chord.postgres.timeout=0s")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("PT0S"));
  }
}
