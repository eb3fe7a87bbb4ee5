package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokensTest {
  static final String SECRET = "0123456789abcdef-secret";
  static final byte[] KEY = Tokens.key(SECRET);
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void mintedToken_verifies_withItsGrant() {
    String token =
        Tokens.mint(SECRET, "room:1", EnumSet.of(Right.READ, Right.WRITE), NOW.plusSeconds(60));
    Tokens.Grant grant = Tokens.verify(KEY, token, NOW);
    assertThat(grant.scope()).isEqualTo("room:1");
    assertThat(grant.rights()).containsExactlyInAnyOrder(Right.READ, Right.WRITE);
    assertThat(grant.covers("room:1")).isTrue();
    assertThat(grant.covers("room:10")).isFalse();
    assertThat(grant.coversAll()).isFalse();
  }

  @Test
  void prefixScope_coversIdsWithThatPrefix() {
    Tokens.Grant grant = new Tokens.Grant("room:*", Set.of(Right.READ), 0);
    assertThat(grant.covers("room:1")).isTrue();
    assertThat(grant.covers("room:")).isTrue();
    assertThat(grant.covers("rooms")).isFalse();
    assertThat(new Tokens.Grant("*", Set.of(Right.READ), 0).coversAll()).isTrue();
  }

  @Test
  void expiredToken_isRefused() {
    String token = Tokens.mint(SECRET, "room:1", EnumSet.of(Right.READ), NOW);
    assertThatThrownBy(() -> Tokens.verify(KEY, token, NOW))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("expired");
  }

  @Test
  void tokenSignedWithAnotherSecret_isRefused() {
    String token =
        Tokens.mint("another-secret-of-16+", "room:1", EnumSet.of(Right.READ), NOW.plusSeconds(60));
    assertThatThrownBy(() -> Tokens.verify(KEY, token, NOW)).hasMessageContaining("signature");
  }

  @Test
  void tamperedPayload_isRefused() {
    String token = Tokens.mint(SECRET, "room:1", EnumSet.of(Right.READ), NOW.plusSeconds(60));
    String[] parts = token.split("\\.");
    String forged =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                "{\"sub\":\"*\",\"rights\":[\"admin\"],\"exp\":9999999999}"
                    .getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Tokens.verify(KEY, parts[0] + "." + forged + "." + parts[2], NOW))
        .hasMessageContaining("signature");
  }

  @Test
  void garbage_isRefusedAsMalformed() {
    for (String garbage : new String[] {"", "abc", "v1.x", "v2.a.b", "v1.!!.??", "v1..."}) {
      assertThatThrownBy(() -> Tokens.verify(KEY, garbage, NOW))
          .as(garbage)
          .isInstanceOf(ApiException.class)
          .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(401));
    }
  }

  @Test
  void mint_refusesShortSecretsBlankScopesAndNoRights() {
    assertThatThrownBy(() -> Tokens.mint("short", "a", EnumSet.of(Right.READ), NOW))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("16");
    assertThatThrownBy(() -> Tokens.mint(SECRET, " ", EnumSet.of(Right.READ), NOW))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Tokens.mint(SECRET, "a", EnumSet.noneOf(Right.class), NOW))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
