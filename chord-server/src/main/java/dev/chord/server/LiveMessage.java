package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * A text message for live clients. One that goes to many clients ({@link #shared}: a committed
 * delta, a merged span others are behind by too) carries its UTF-8 bytes, encoded once into a
 * direct buffer, which every socket writes as its frame's payload: a server-to-client frame is not
 * masked, so the same bytes serve every connection, and a direct buffer is written to the kernel
 * without a copy. One for a single client ({@link #of}) is encoded by its socket, as any text is.
 *
 * <p>Immutable: the bytes are never handed out but as a {@link #utf8 view} of their own, so one
 * socket's frame cannot move another's position.
 */
final class LiveMessage {
  /**
   * The longest text encoded up front, in chars: a longer one is sent in parts ({@link
   * LiveEndpoint#PART_CHARS}), each encoded when it is sent.
   */
  static final int LONGEST_ENCODED = LiveEndpoint.PART_CHARS;

  private final String text;
  private final @Nullable ByteBuffer utf8;

  private LiveMessage(String text, @Nullable ByteBuffer utf8) {
    this.text = text;
    this.utf8 = utf8;
  }

  /** A message for one client: no bytes encoded up front. */
  static LiveMessage of(String text) {
    return new LiveMessage(text, null);
  }

  /**
   * A message for many clients: its UTF-8 bytes encoded once, unless it is longer than {@link
   * #LONGEST_ENCODED} chars.
   */
  static LiveMessage shared(String text) {
    if (text.length() > LONGEST_ENCODED) {
      return of(text);
    }
    byte[] bytes = text.getBytes(UTF_8);
    ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    return new LiveMessage(text, direct.asReadOnlyBuffer());
  }

  String text() {
    return text;
  }

  /**
   * The message's UTF-8 bytes as a read-only buffer of the caller's own (the same memory for every
   * caller), or {@code null} if they were not encoded up front.
   */
  @Nullable ByteBuffer utf8() {
    return utf8 == null ? null : utf8.duplicate();
  }
}
