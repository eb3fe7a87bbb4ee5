package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.chord.Chord;
import java.time.Duration;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** ChordServer.Builder hands the Chord's settings to a Chord.Builder, which checks them. */
class ChordServerBuilderTest {
  @Test
  void chordSettings_failWithChordsOwnExceptions() {
    assertSameFailure(
        () -> ChordServer.builder().deltaThreshold(0), () -> Chord.builder().deltaThreshold(0));
    assertSameFailure(
        () -> ChordServer.builder().deltaTtl(Duration.ZERO),
        () -> Chord.builder().deltaTtl(Duration.ZERO));
    assertSameFailure(
        () -> ChordServer.builder().deltaTtl(null), () -> Chord.builder().deltaTtl(null));
    assertSameFailure(
        () -> ChordServer.builder().contextTtl(Duration.ofSeconds(-1)),
        () -> Chord.builder().contextTtl(Duration.ofSeconds(-1)));
    assertSameFailure(
        () -> ChordServer.builder().cleanupInterval(Duration.ZERO),
        () -> Chord.builder().cleanupInterval(Duration.ZERO));
    assertSameFailure(() -> ChordServer.builder().clock(null), () -> Chord.builder().clock(null));
    assertSameFailure(
        () -> ChordServer.builder().backend(null, "x"), () -> Chord.builder().backend(null));
  }

  /**
   * {@code actual} fails exactly as {@code owner}, the builder that owns the setting, does: same
   * type, same message, so the check is made in one place.
   */
  static void assertSameFailure(ThrowingCallable actual, ThrowingCallable owner) {
    Throwable expected = catchThrowable(owner);
    assertThat(expected).as("the owner rejects the value").isNotNull();
    assertThatThrownBy(actual)
        .isExactlyInstanceOf(expected.getClass())
        .hasMessage(expected.getMessage());
  }
}
