/** The backend conformance kit: {@link dev.chord.tck.BackendContractTest} for every backend. */
module dev.chord.tck {
  requires transitive dev.chord;
  requires transitive org.junit.jupiter.api;
  requires org.assertj.core;
  requires awaitility;

  exports dev.chord.tck;
}
