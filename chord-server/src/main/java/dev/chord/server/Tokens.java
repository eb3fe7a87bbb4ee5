package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Bearer tokens: HMAC-SHA256-signed grants of {@link Right rights} on one context id, or on every
 * id with a prefix, until an expiry.
 *
 * <p>Format: {@code v1.<payload>.<signature>}, both parts base64url without padding; the payload is
 * {@code {"sub": scope, "rights": ["read", …], "exp": epochSeconds}} and the signature is
 * HMAC-SHA256 over {@code v1.<payload>} keyed with the UTF-8 bytes of the secret. A scope is an
 * exact context id ({@code room:1}), a prefix ending in {@code *} ({@code room:*}) or {@code *}
 * (every context, and the admin endpoints). No JWT library: this fixed format has no algorithm
 * field to confuse and needs only {@code javax.crypto}.
 *
 * <pre>{@code
 * String token = Tokens.mint(secret, "room:1", EnumSet.of(Right.READ, Right.WRITE),
 *     Instant.now().plus(Duration.ofHours(1)));
 * }</pre>
 */
public final class Tokens {
  /** The shortest secret accepted: shorter HMAC keys are guessable. */
  public static final int MIN_SECRET_LENGTH = 16;

  private static final String VERSION = "v1";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64_DECODE = Base64.getUrlDecoder();

  private Tokens() {}

  /**
   * A signed token granting {@code rights} on {@code scope} until {@code expiresAt}.
   *
   * @throws IllegalArgumentException for a secret shorter than {@value #MIN_SECRET_LENGTH} chars, a
   *     blank scope or no rights
   */
  public static String mint(String secret, String scope, Set<Right> rights, Instant expiresAt) {
    byte[] key = key(secret);
    if (scope == null || scope.isBlank()) {
      throw new IllegalArgumentException("scope must be a context id, a prefix ending in * or *");
    }
    if (rights == null || rights.isEmpty()) {
      throw new IllegalArgumentException("a token needs at least one right");
    }
    Objects.requireNonNull(expiresAt, "expiresAt");
    List<String> names = new ArrayList<>();
    EnumSet.copyOf(rights).forEach(r -> names.add(r.wireName()));
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("sub", scope);
    payload.put("rights", names);
    payload.put("exp", expiresAt.getEpochSecond());
    String signed = VERSION + "." + B64.encodeToString(Json.writeBytes(payload));
    return signed + "." + B64.encodeToString(hmac(key, signed));
  }

  /**
   * The HMAC key for {@code secret}.
   *
   * @throws IllegalArgumentException if it is shorter than {@value #MIN_SECRET_LENGTH} chars
   */
  static byte[] key(String secret) {
    if (secret == null || secret.length() < MIN_SECRET_LENGTH) {
      throw new IllegalArgumentException(
          "the auth secret must be at least " + MIN_SECRET_LENGTH + " characters long");
    }
    return secret.getBytes(UTF_8);
  }

  /**
   * The grant in {@code token} if it is well formed, signed with {@code key} and not expired at
   * {@code now}.
   *
   * @throws ApiException 401 otherwise
   */
  static Grant verify(byte[] key, String token, Instant now) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || !VERSION.equals(parts[0])) {
      throw unauthorized("malformed bearer token");
    }
    byte[] signature;
    byte[] payloadBytes;
    try {
      signature = B64_DECODE.decode(parts[2]);
      payloadBytes = B64_DECODE.decode(parts[1]);
    } catch (IllegalArgumentException e) {
      throw unauthorized("malformed bearer token");
    }
    if (!MessageDigest.isEqual(signature, hmac(key, parts[0] + "." + parts[1]))) {
      throw unauthorized("bad token signature");
    }
    Grant grant = parseGrant(payloadBytes);
    if (grant.expiresAt() <= now.getEpochSecond()) {
      throw unauthorized("token expired at " + Instant.ofEpochSecond(grant.expiresAt()));
    }
    return grant;
  }

  private static Grant parseGrant(byte[] payloadBytes) {
    try {
      Map<String, Object> payload = Json.readTrusted(payloadBytes);
      if (payload.get("sub") instanceof String scope
          && payload.get("rights") instanceof List<?> names
          && payload.get("exp") instanceof Number exp) {
        Set<Right> rights = EnumSet.noneOf(Right.class);
        for (Object name : names) {
          rights.add(Right.parse(String.valueOf(name)));
        }
        return new Grant(scope, rights, exp.longValue());
      }
    } catch (IOException | IllegalArgumentException e) {
      // Signed by us but unreadable: only possible with a secret shared with a foreign minter.
    }
    throw unauthorized("malformed token payload");
  }

  private static ApiException unauthorized(String message) {
    return new ApiException(401, "unauthorized", message);
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }

  /** What a verified token grants. */
  record Grant(String scope, Set<Right> rights, long expiresAt) {
    /** Whether the scope names {@code contextId}: equal, or a matching {@code prefix*}. */
    boolean covers(String contextId) {
      return scope.endsWith("*")
          ? contextId.startsWith(scope.substring(0, scope.length() - 1))
          : scope.equals(contextId);
    }

    /** Whether the scope is {@code *}: every context. */
    boolean coversAll() {
      return scope.equals("*");
    }
  }
}
