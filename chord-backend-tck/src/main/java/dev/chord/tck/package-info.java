/**
 * The backend conformance kit: extend {@link dev.chord.tck.BackendContractTest} to prove that a
 * {@link dev.chord.spi.Backend} meets the contract.
 */
@NullMarked
package dev.chord.tck;

import org.jspecify.annotations.NullMarked;
