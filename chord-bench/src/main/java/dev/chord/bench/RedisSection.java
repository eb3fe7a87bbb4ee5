package dev.chord.bench;

import com.fasterxml.jackson.databind.JsonNode;

/** The Redis part of the report; filled in once the Redis results exist. */
final class RedisSection {
  /** Receives a target row. */
  interface Targets {
    void target(String source, String target, String measured, Boolean met);
  }

  private RedisSection() {}

  static void write(JsonNode redis, StringBuilder out, Targets targets) {
    out.append("_Redis results present but not rendered._\n\n");
  }
}
