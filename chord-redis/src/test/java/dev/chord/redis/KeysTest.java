package dev.chord.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.cluster.SlotHash;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeysTest {
  private final Keys keys = new Keys("app*1");

  @Test
  void everyKeyOfAContext_sharesOneSlot_whateverTheId() {
    for (String id : List.of("room:1", "}", "{", "a{b}c", "{}", " ", "漢字 ü\n", "x".repeat(512))) {
      String[] all = keys.of(id);
      int slot = SlotHash.getSlot(all[0]);
      assertThat(all).allSatisfy(key -> assertThat(SlotHash.getSlot(key)).isEqualTo(slot));
      assertThat(SlotHash.getSlot(keys.channel(id))).isEqualTo(slot);
      assertThat(Keys.idOfTag(keys.tagOfMeta(all[0]))).isEqualTo(id);
    }
  }

  @Test
  void metaPattern_escapesTheGlobCharactersOfThePrefix() {
    assertThat(keys.metaPattern()).isEqualTo("app\\*1:{*}:meta");
  }

  @Test
  void tagOfMeta_ignoresKeysThatOnlyLookLikeOurs() {
    assertThat(keys.tagOfMeta("app*1:{not base64!}:meta")).isNull();
    assertThat(keys.tagOfMeta("app*1:{a}:x}:meta")).isNull();
    assertThat(keys.tagOfMeta("app*1:{}:meta")).isNull();
  }

  @Test
  void prefix_withBraces_isRejected() {
    assertThatThrownBy(() -> new Keys("a{b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Keys("")).isInstanceOf(IllegalArgumentException.class);
  }
}
