package dev.chord.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.chord.Chord;
import dev.chord.ChordException;
import dev.chord.Context;
import dev.chord.spi.Snapshots;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** JdbcContextStore on a real PostgreSQL: exact round trips, and newer versions always stay. */
class JdbcContextStoreIT {
  private static final String PREFIX = TestDb.prefix("store");
  private static HikariDataSource pool;
  private static JdbcContextStore store;

  @BeforeAll
  static void createSchema() {
    pool = TestDb.pool();
    store = JdbcContextStore.builder(pool).table(PREFIX + "_exports").build();
    store.createSchema();
    store.createSchema();
  }

  @AfterAll
  static void dropSchema() {
    pool.close();
    TestDb.drop(PREFIX);
  }

  private static Context context(String id, long version, Map<String, ?> data, String epoch) {
    return new Context(id, version, Snapshots.freeze(data), 1_764_140_000_123L + version, epoch);
  }

  @Test
  void fetch_returnsExactlyWhatWasExported_valueTypesIncluded() {
    Map<String, @Nullable Object> data = new LinkedHashMap<>();
    data.put("long", Long.MAX_VALUE);
    data.put("beyond2^53", (1L << 53) + 1);
    data.put("double", 0.1);
    data.put("integralDouble", 1.0);
    data.put("bigDouble", 1e300);
    data.put("smallDouble", 1e-7);
    data.put("negativeZero", -0.0);
    data.put("bigDecimal", new BigDecimal("1.50"));
    data.put("bigDecimalInteger", new BigDecimal("100"));
    data.put("bigInteger", new BigInteger("123456789012345678901234567890"));
    data.put("smallBigInteger", BigInteger.ONE);
    data.put("string", "text with \"quotes\", \\, \\u0000 as text, ✓ and 😀");
    data.put("true", true);
    data.put("null", null);
    data.put("list", Arrays.asList(1, null, "x", List.of(), Map.of("k", 2.5)));
    data.put("emptyMap", Map.of());
    data.put("wrapperLookalike", Map.of("$dec", "not a number"));
    data.put("weird keys", Map.of("a/b", 1, "~0", 2, "", 3, "ü é 漢", 4));
    Context exported = context("types", 7, data, "storeEpoch01");

    store.export(exported);
    Context fetched = store.fetch("types").orElseThrow();

    assertThat(fetched).isEqualTo(exported);
    assertThat(fetched.data().get("beyond2^53")).isInstanceOf(Long.class);
    assertThat(fetched.data().get("integralDouble")).isInstanceOf(Double.class);
    assertThat(fetched.data().get("bigDouble")).isEqualTo(1e300);
    assertThat(fetched.data().get("negativeZero")).isEqualTo(-0.0);
    assertThat(((BigDecimal) fetched.data().get("bigDecimal")).scale()).isEqualTo(2);
    assertThat(fetched.data().get("smallBigInteger")).isInstanceOf(BigInteger.class);
  }

  @Test
  void fetch_ofAnIdNeverExported_isEmpty() {
    assertThat(store.fetch("never-" + PREFIX)).isEmpty();
  }

  @Test
  void export_ofAnOlderVersionOfTheSameEpoch_neverReplacesANewerOne() {
    store.export(context("order", 5, Map.of("v", 5), "storeEpoch01"));
    store.export(context("order", 3, Map.of("v", 3), "storeEpoch01"));
    assertThat(store.fetch("order").orElseThrow().version()).isEqualTo(5);

    store.export(context("order", 2, Map.of("v", 2), "storeEpoch02"));
    Context other = store.fetch("order").orElseThrow();
    assertThat(other.epoch()).as("another incarnation replaces it").isEqualTo("storeEpoch02");
    assertThat(other.data()).isEqualTo(Map.of("v", 2L));
  }

  @Test
  void twoExportersAtOnce_leaveTheNewestVersion() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(2);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int offset = t;
      done.add(
          threads.submit(
              () -> {
                for (int v = 1 + offset; v <= 200; v += 2) {
                  store.export(context("race", v, Map.of("v", v), "storeEpoch01"));
                }
                // The other thread's versions, in reverse: all older than what is there by now.
                for (int v = 200 - offset; v >= 1; v -= 2) {
                  store.export(context("race", v, Map.of("v", v), "storeEpoch01"));
                }
              }));
    }
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    threads.shutdown();
    Context stored = store.fetch("race").orElseThrow();
    assertThat(stored.version()).isEqualTo(200);
    assertThat(stored.data()).isEqualTo(Map.of("v", 200L));
  }

  @Test
  void export_ofWhatJsonbCannotHold_isRefused_andStoresNothing() {
    Context nul = context("nul", 1, Map.of("s", "a\u0000b"), "storeEpoch01");
    assertThatThrownBy(() -> store.export(nul))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("U+0000");
    // An unpaired surrogate never gets this far: a Context refuses it.
    assertThatThrownBy(() -> context("nul", 1, Map.of("\ud800", 1), "storeEpoch01"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("surrogate");
    assertThat(store.fetch("nul")).isEmpty();
  }

  @Test
  void chord_exportThenRestoreOnAnotherChord_bringsTheContextBack() {
    String id = "chord-" + PREFIX;
    Context before;
    try (Chord chord = Chord.builder().exporter(store).externalProvider(store).build()) {
      chord.setContext(id, Map.of("big", new BigDecimal("2.50"), "n", 1L << 60));
      chord.updateContext(id, Map.of("more", List.of(1.5, "x")));
      before = chord.getContext(id).orElseThrow();
      chord.exportContext(id);
    }
    // Another node, its own (empty) backend, the same store.
    try (Chord chord = Chord.builder().exporter(store).externalProvider(store).build()) {
      Context restored = chord.restoreContext(id);

      assertThat(restored.data()).isEqualTo(before.data());
      assertThat(restored.version()).isEqualTo(before.version());
      assertThat(restored.epoch()).as("a restore draws a new epoch").isNotEqualTo(before.epoch());

      // A delete removes the stored copy too: nothing to restore afterwards.
      chord.deleteContext(id);
      assertThat(store.fetch(id)).isEmpty();
    }
  }

  @Test
  void delete_removesTheRow_andAnAbsentIdIsFine() {
    store.export(context("del", 3, Map.of("a", 1L), "storeEpoch01"));
    store.delete("del");
    assertThat(store.fetch("del")).isEmpty();
    store.delete("del");
    store.delete("never-exported");
    assertThat(store.fetch("del")).isEmpty();
  }

  @Test
  void chord_exportOfAContextWithANul_failsAndKeepsTheOldRow() {
    try (Chord chord = Chord.builder().exporter(store).build()) {
      String id = "nul-" + PREFIX;
      chord.setContext(id, Map.of("s", "fine"));
      chord.exportContext(id);
      chord.setContext(id, Map.of("s", "a\u0000b"));
      assertThatThrownBy(() -> chord.exportContext(id)).isInstanceOf(ChordException.class);
      assertThat(store.fetch(id).orElseThrow().data()).isEqualTo(Map.of("s", "fine"));
    }
  }

  @Test
  void builder_rejectsBadNames() {
    assertThatThrownBy(() -> JdbcContextStore.builder(pool).table("x; drop table y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("table name");
  }
}
