/** {@link dev.chord.filestore.FileContextStore}: contexts as JSON files in a directory. */
module dev.chord.filestore {
  requires transitive dev.chord;
  requires dev.chord.json;
  requires com.fasterxml.jackson.core;

  exports dev.chord.filestore;
}
