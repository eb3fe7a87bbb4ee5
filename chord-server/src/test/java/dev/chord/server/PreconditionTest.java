package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing {@code If-Match}: this server's strong tags, every version it can hand out. */
class PreconditionTest {
  static final String EPOCH = "Zk3x9_Qa0bC1dE2f";

  static Precondition ifMatch(String value) {
    return Precondition.parse(value, null);
  }

  static Precondition.AnyOf tags(long... versions) {
    return new Precondition.AnyOf(
        Arrays.stream(versions).mapToObj(v -> new Precondition.Tag(EPOCH, v)).toList());
  }

  @Test
  void everyVersionUpToTheLargest_isParsed_nineteenDigitsIncluded() {
    assertThat(ifMatch("\"" + EPOCH + ".1\"")).isEqualTo(tags(1));
    assertThat(ifMatch("\"" + EPOCH + ".1000000000000000000\""))
        .isEqualTo(tags(1_000_000_000_000_000_000L));
    assertThat(ifMatch("\"" + EPOCH + "." + (Long.MAX_VALUE - 1) + "\", \"" + EPOCH + ".7\""))
        .isEqualTo(tags(Long.MAX_VALUE - 1, 7));
    assertThat(ifMatch("\"" + EPOCH + "." + Long.MAX_VALUE + "\"")).isEqualTo(tags(Long.MAX_VALUE));
  }

  @Test
  void aVersionPastTheLargest_orNotAsTheServerWritesIt_isABadRequest() {
    for (String version :
        List.of(
            "9223372036854775808", // Long.MAX_VALUE + 1
            "99999999999999999999", // 20 digits
            "0005", // strong comparison is octet equality: never the server's "5"
            "01",
            "00",
            "0",
            "+5",
            "-5",
            "5 ")) {
      assertThatThrownBy(() -> ifMatch("\"" + EPOCH + "." + version + "\""))
          .as(version)
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.code()).isEqualTo("bad_request");
              });
    }
  }

  /**
   * RFC 9110 §13.1.1: {@code If-Match} uses the strong comparison, under which a weak tag matches
   * nothing, not even the state it names: refused as malformed, alone or in a list.
   */
  @Test
  void aWeakTag_nevermatches_aloneOrInAList() {
    for (String header :
        List.of(
            "W/\"" + EPOCH + ".1\"",
            "w/\"" + EPOCH + ".1\"",
            "\"" + EPOCH + ".1\", W/\"" + EPOCH + ".2\"",
            "W/\"" + EPOCH + ".2\", \"" + EPOCH + ".1\"")) {
      assertThatThrownBy(() -> ifMatch(header))
          .as(header)
          .isInstanceOfSatisfying(
              ApiException.class, e -> assertThat(e.getMessage()).contains("strong entity tags"));
    }
  }
}
