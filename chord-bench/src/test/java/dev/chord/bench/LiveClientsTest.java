package dev.chord.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LiveClientsTest {
  @Test
  void aMergedPatchsOldestVersion_isItsVersionsThLargestStamp() {
    // three versions merged, in the chord format: each changed key's value and its old_value
    long[] stamps = {130, 30, 110, 10, 120, 20};
    assertThat(LiveClients.oldestStamp(stamps, 6, 3)).isEqualTo(110);
  }

  @Test
  void aSpanLongerThanTheStampKeys_givesTheOldestStillHeld() {
    int keys = LiveLoad.STAMP_KEYS;
    long[] stamps = new long[2 * keys];
    for (int i = 0; i < keys; i++) {
      stamps[i] = 1000 + i; // the newest value of each key
      stamps[keys + i] = i; // its old_value, from before the span
    }
    assertThat(LiveClients.oldestStamp(stamps, stamps.length, 3L * keys)).isEqualTo(1000);
  }

  @Test
  void noStamp_isNone() {
    assertThat(LiveClients.oldestStamp(new long[4], 0, 2)).isEqualTo(-1);
  }
}
