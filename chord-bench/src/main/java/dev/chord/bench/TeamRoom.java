package dev.chord.bench;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The original Chord benchmark's "team room" state ({@code bench/chord_benchmark.exs}, {@code
 * large_context}), built the same way: {@code group_id}, {@code group_name}, {@code participants}
 * {@code user_1..user_n}, {@code metadata} and a {@code chat_history} of 20 messages. Timestamps
 * are formatted like Elixir's {@code DateTime.to_string/1} ({@code 2024-05-01 10:00:00.123456Z}).
 */
final class TeamRoom {
  /** The participant count of the original's room. */
  static final int PARTICIPANTS = 50;

  private static final int MESSAGES = 20;

  private TeamRoom() {}

  /** A room with the original's 50 participants, timestamps relative to now. */
  static Map<String, Object> room(String groupId) {
    return room(groupId, PARTICIPANTS);
  }

  /** A room with {@code participants} participants, timestamps relative to now. */
  static Map<String, Object> room(String groupId, int participants) {
    long nowMicros = nowMicros();
    Map<String, Object> users = new HashMap<>(participants * 2);
    for (int i = 1; i <= participants; i++) {
      Map<String, Object> user = new HashMap<>(12);
      user.put("user_id", "user_" + i);
      user.put("username", "user_" + i + "_name");
      user.put("avatar", "https://example.com/avatars/user_" + i + "_name.png");
      user.put("status", i % 3 == 0 ? "away" : "active");
      user.put("last_seen", timestamp(nowMicros - i * 60_000_000L));
      user.put("typing", i % 10 == 0);
      users.put(participant(i), user);
    }
    Map<String, Object> metadata = new HashMap<>(8);
    metadata.put("topic", "Daily Standup " + groupId);
    metadata.put("duration", ThreadLocalRandom.current().nextInt(10, 31) + " minutes");
    metadata.put("created_by", "user_1");
    metadata.put("created_at", timestamp(nowMicros - 3_600_000_000L));
    List<Object> history = new ArrayList<>(MESSAGES);
    for (int i = 1; i <= MESSAGES; i++) {
      Map<String, Object> message = new HashMap<>(8);
      message.put("message_id", "msg_" + i);
      message.put("sender_id", "user_" + (i % 50 + 1));
      message.put("timestamp", timestamp(nowMicros - i * 120_000_000L));
      message.put("content", "Message " + i + ": Lorem ipsum dolor sit amet.");
      history.add(message);
    }
    Map<String, Object> room = new HashMap<>(8);
    room.put("group_id", groupId);
    room.put("group_name", "Team Engineering " + groupId);
    room.put("participants", users);
    room.put("metadata", metadata);
    room.put("chat_history", history);
    return room;
  }

  /** The key of participant {@code i} (1-based): {@code user_i}. */
  static String participant(int i) {
    return "user_" + i;
  }

  /** The changes that set one participant's {@code status}. */
  static Map<String, Object> statusChange(String participant, String status) {
    return Map.of("participants", Map.of(participant, Map.of("status", status)));
  }

  /** The changes that set one participant's {@code typing} flag. */
  static Map<String, Object> typingChange(String participant, boolean typing) {
    return Map.of("participants", Map.of(participant, Map.of("typing", typing)));
  }

  private static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  /**
   * Elixir's {@code DateTime.to_string/1} of a UTC instant, written digit by digit into one array:
   * {@code DateTimeFormatter}, or a {@code StringBuilder} fed with {@code Integer.toString} of each
   * field, would cost more than some of the Chord calls the scenarios measure.
   */
  static String timestamp(long epochMicros) {
    long seconds = Math.floorDiv(epochMicros, 1_000_000L);
    int micros = (int) Math.floorMod(epochMicros, 1_000_000L);
    LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, 86_400L));
    int secondOfDay = (int) Math.floorMod(seconds, 86_400L);
    byte[] out = new byte[27];
    digits(out, 0, date.getYear(), 4);
    out[4] = '-';
    digits(out, 5, date.getMonthValue(), 2);
    out[7] = '-';
    digits(out, 8, date.getDayOfMonth(), 2);
    out[10] = ' ';
    digits(out, 11, secondOfDay / 3600, 2);
    out[13] = ':';
    digits(out, 14, secondOfDay / 60 % 60, 2);
    out[16] = ':';
    digits(out, 17, secondOfDay % 60, 2);
    out[19] = '.';
    digits(out, 20, micros, 6);
    out[26] = 'Z';
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  /** Writes {@code value} as {@code width} decimal digits, zero-padded, at {@code at}. */
  private static void digits(byte[] out, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      out[i] = (byte) ('0' + value % 10);
      value /= 10;
    }
  }
}
