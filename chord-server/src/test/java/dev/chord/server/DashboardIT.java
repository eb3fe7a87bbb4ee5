package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every query of the Grafana dashboard names meters a running server really exports, with the
 * labels it groups by.
 */
class DashboardIT {
  private static final Path DASHBOARD = Path.of("dashboards", "chord.json");

  /** A metric selector: a name right before its label matchers. */
  private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\{");

  private static final Pattern BY = Pattern.compile("by \\(([^)]*)\\)");

  @Test
  void everyQuery_namesAnExportedMeter() throws IOException {
    List<String> queries = new ArrayList<>();
    collect(Http.JSON.readTree(Files.readString(DASHBOARD)), queries);
    assertThat(queries).hasSizeGreaterThanOrEqualTo(10);

    Scrape scrape;
    try (ChordServer server = ServerFixture.start()) {
      Http http = new Http(server.url());
      http.put("/contexts/dash", Map.of("n", 0));
      try (Live live = Live.connect(server.url(), "/contexts/dash/live")) {
        live.next();
        http.patch("/contexts/dash", Map.of("n", 1));
        live.next();
        http.get("/contexts/dash/sync?version=1");
        await()
            .until(
                () -> new Scrape(http.get("/metrics").body()).has("chord_live_lag_seconds_count"));
        scrape = new Scrape(http.get("/metrics").body());
      }
    }

    for (String query : queries) {
      Matcher m = SELECTOR.matcher(query);
      Set<String> names = new LinkedHashSet<>();
      while (m.find()) {
        names.add(m.group(1));
      }
      assertThat(names).as("metrics in %s", query).isNotEmpty();
      for (String name : names) {
        assertThat(scrape.names()).as("%s, in %s", name, query).contains(name);
      }
      Matcher by = BY.matcher(query);
      while (by.find()) {
        for (String label : by.group(1).split(",\\s*")) {
          if (label.equals("instance")) {
            continue; // added by Prometheus when it scrapes
          }
          assertThat(names.stream().anyMatch(n -> scrape.hasLabel(n, label)))
              .as("label %s of %s", label, query)
              .isTrue();
        }
      }
    }
  }

  @Test
  void panels_coverWhatOperatorsAskFor() throws IOException {
    JsonNode dashboard = Http.JSON.readTree(Files.readString(DASHBOARD));
    List<String> titles = new ArrayList<>();
    dashboard.get("panels").forEach(p -> titles.add(p.get("title").asText()));
    assertThat(titles)
        .contains(
            "Operations/s by outcome",
            "p99 latency by operation",
            "Live connections",
            "Live lag: commit to socket",
            "Sync result mix");
  }

  private static void collect(JsonNode node, List<String> queries) {
    if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              e -> {
                if (e.getKey().equals("expr")) {
                  queries.add(e.getValue().asText());
                } else {
                  collect(e.getValue(), queries);
                }
              });
    } else if (node.isArray()) {
      node.forEach(child -> collect(child, queries));
    }
  }
}
