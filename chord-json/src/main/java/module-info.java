/**
 * {@link dev.chord.json.TypedJson}: the JSON convention Chord's stores (Redis, PostgreSQL, files)
 * write context data in.
 */
module dev.chord.json {
  requires transitive dev.chord;
  requires transitive com.fasterxml.jackson.core;

  exports dev.chord.json;
}
