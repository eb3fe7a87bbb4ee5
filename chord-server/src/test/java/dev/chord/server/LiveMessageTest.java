package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Chord;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LiveMessageTest {
  @Test
  void aSharedMessage_carriesItsUtf8Bytes() {
    String text = "{\"text\":\"né ✓ 😀\"}";
    ByteBuffer utf8 = LiveMessage.shared(text).utf8();
    assertThat(utf8).isNotNull();
    assertThat(utf8.isDirect()).isTrue();
    assertThat(utf8.isReadOnly()).isTrue();
    assertThat(UTF_8.decode(utf8).toString()).isEqualTo(text);
  }

  @Test
  void eachCallerGetsAViewOfItsOwn() {
    LiveMessage message = LiveMessage.shared("abcdef");
    ByteBuffer one = message.utf8();
    one.position(4);
    ByteBuffer other = message.utf8();
    assertThat(other.position()).isZero();
    assertThat(other.remaining()).isEqualTo(6);
  }

  @Test
  void aMessageForOneClient_orTooLongToGoWhole_carriesNoBytes() {
    assertThat(LiveMessage.of("abc").utf8()).isNull();
    assertThat(LiveMessage.of("abc").text()).isEqualTo("abc");
    String longest = "x".repeat(LiveMessage.LONGEST_ENCODED);
    assertThat(LiveMessage.shared(longest).utf8()).isNotNull();
    String tooLong = longest + "x";
    assertThat(LiveMessage.shared(tooLong).utf8()).isNull();
    assertThat(LiveMessage.shared(tooLong).text()).isEqualTo(tooLong);
  }

  @Test
  void aStepRendersOneSharedMessage_forEveryConnection() {
    Chord chord = Chord.builder().build();
    SharedStep step = new SharedStep(chord.setContext("room", Map.of("a", 1)).deltaRecord());
    LiveMessage first = step.message(WireFormat.CHORD);
    assertThat(step.message(WireFormat.CHORD)).isSameAs(first);
    assertThat(first.utf8()).isNotNull();
  }
}
