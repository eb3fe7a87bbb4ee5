package dev.chord.tck;

import dev.chord.memory.InMemoryBackend;
import dev.chord.spi.Backend;

/** The in-memory backend meets the backend contract. */
class InMemoryBackendContractTest extends BackendContractTest {
  @Override
  protected Backend createBackend() {
    return InMemoryBackend.create();
  }
}
