package dev.chord.server;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Who may do what: with a secret, every request needs a bearer token ({@link Tokens}) whose scope
 * covers the context and whose rights include the one needed; without one, everything is open.
 */
final class Access {
  private final byte[] key;
  private final Clock clock;

  /**
   * @param key the HMAC key, {@code null} for an open server
   */
  Access(byte[] key, Clock clock) {
    this.key = key;
    this.clock = clock;
  }

  boolean open() {
    return key == null;
  }

  /**
   * Checks that {@code token} grants {@code right} on {@code contextId} ({@code null}: on every
   * context, for the admin endpoints).
   *
   * @param token the bearer token, {@code null} if none was sent
   * @return when the token that granted it expires; empty on an open server
   * @throws ApiException 401 for a missing, malformed, forged or expired token; 403 for a valid
   *     token that does not cover the context or lacks the right
   */
  Optional<Instant> require(String token, String contextId, Right right) {
    if (key == null) {
      return Optional.empty();
    }
    if (token == null || token.isEmpty()) {
      throw new ApiException(401, "unauthorized", "this server needs a bearer token");
    }
    Tokens.Grant grant = Tokens.verify(key, token, clock.instant());
    boolean covered = contextId == null ? grant.coversAll() : grant.covers(contextId);
    if (!covered) {
      throw new ApiException(
          403,
          "forbidden",
          "the token's scope '"
              + grant.scope()
              + "' does not cover "
              + (contextId == null ? "every context" : "'" + contextId + "'"));
    }
    if (!grant.rights().contains(right)) {
      throw new ApiException(
          403, "forbidden", "the token does not grant the " + right.wireName() + " right");
    }
    return Optional.of(Instant.ofEpochSecond(grant.expiresAt()));
  }

  /** The token in an {@code Authorization: Bearer …} header, or {@code null}. */
  static String bearer(String authorization) {
    if (authorization == null) {
      return null;
    }
    String prefix = "Bearer ";
    return authorization.regionMatches(true, 0, prefix, 0, prefix.length())
        ? authorization.substring(prefix.length()).trim()
        : null;
  }
}
