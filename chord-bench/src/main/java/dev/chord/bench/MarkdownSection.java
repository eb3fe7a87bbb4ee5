package dev.chord.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A generated part of a markdown file, between {@code <!-- name:begin -->} and {@code <!-- name:end
 * -->}; everything outside the markers is left as it is.
 *
 * @param name the markers' name
 */
record MarkdownSection(String name) {
  String begin() {
    return "<!-- " + name + ":begin -->";
  }

  String end() {
    return "<!-- " + name + ":end -->";
  }

  /**
   * Replaces the section's text with {@code body}, creating the file if absent; a file without the
   * markers gets the section at its start ({@code first}) or its end.
   */
  void write(Path markdown, String body, boolean first) throws IOException {
    String block = begin() + "\n" + body.stripTrailing() + "\n" + end();
    String existing =
        Files.exists(markdown) ? Files.readString(markdown, StandardCharsets.UTF_8) : "";
    int begin = existing.indexOf(begin());
    int end = existing.indexOf(end());
    String updated;
    if (begin >= 0 && end > begin) {
      updated = existing.substring(0, begin) + block + existing.substring(end + end().length());
    } else if (existing.isEmpty()) {
      updated = block + "\n";
    } else if (first) {
      updated = block + "\n\n" + existing;
    } else {
      updated = existing + (existing.endsWith("\n") ? "\n" : "\n\n") + block + "\n";
    }
    Files.writeString(markdown, updated, StandardCharsets.UTF_8);
  }
}
