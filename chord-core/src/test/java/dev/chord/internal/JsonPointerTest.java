package dev.chord.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class JsonPointerTest {

  @Test
  void of_escapesTildeThenSlash_andParseGivesThePathBack() {
    List<String> path = List.of("a/b", "~0", "", "ü é", "{x}", "~1/");
    String pointer = JsonPointer.of(path);
    assertThat(pointer).isEqualTo("/a~1b/~00//ü é/{x}/~01~1");
    assertThat(JsonPointer.parse(pointer)).isEqualTo(path);
  }

  @Test
  void emptyPath_isTheEmptyPointer() {
    assertThat(JsonPointer.of(List.of())).isEmpty();
    assertThat(JsonPointer.parse("")).isEmpty();
    assertThat(JsonPointer.parse("/")).containsExactly("");
  }

  @Test
  void parse_rejectsTextNotStartingWithASlash() {
    assertThatThrownBy(() -> JsonPointer.parse("a/b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a/b");
  }
}
