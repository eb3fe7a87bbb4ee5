package dev.chord;

import java.security.SecureRandom;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/** Draws and checks epochs (see {@link Context#epoch()}). */
public final class Epochs {
  /** The shortest epoch accepted. */
  public static final int MIN_LENGTH = 8;

  /** The longest epoch accepted. */
  public static final int MAX_LENGTH = 22;

  /** 96 random bits: 16 base64url characters, no padding. */
  private static final int RANDOM_BYTES = 12;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private Epochs() {}

  /** A fresh epoch: 16 characters of {@code [A-Za-z0-9_-]} carrying 96 random bits. */
  public static String next() {
    byte[] bytes = new byte[RANDOM_BYTES];
    RANDOM.nextBytes(bytes);
    return ENCODER.encodeToString(bytes);
  }

  /**
   * Whether {@code epoch} has the form of an epoch: 8 to 22 characters of {@code [A-Za-z0-9_-]};
   * {@code false} for {@code null}.
   */
  public static boolean isValid(@Nullable String epoch) {
    if (epoch == null || epoch.length() < MIN_LENGTH || epoch.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < epoch.length(); i++) {
      char c = epoch.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns {@code epoch} if it has the form of an epoch.
   *
   * @throws IllegalArgumentException naming the bad value otherwise ({@code null} included)
   */
  public static String check(@Nullable String epoch) {
    if (!isValid(epoch)) {
      throw new IllegalArgumentException(
          "an epoch is 8 to 22 characters of [A-Za-z0-9_-], was "
              + (epoch == null
                  ? "null"
                  : "'" + (epoch.length() > 40 ? epoch.substring(0, 40) + "…" : epoch) + "'"));
    }
    return epoch;
  }
}
