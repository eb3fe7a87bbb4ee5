package dev.chord.filestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chord.Context;
import dev.chord.Epochs;
import dev.chord.spi.Snapshots;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The file format: a context reads back equal, values with their types. The law for every value is
 * {@code dev.chord.json.TypedJsonPropertiesTest} in chord-json.
 */
class FileFormatTest {

  @Test
  void roundTrip_valueTypesThatPlainJsonLoses_exact() throws IOException {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("long", Long.MAX_VALUE);
    data.put("beyond53", (1L << 53) + 1);
    data.put("negative", Long.MIN_VALUE);
    data.put("decimal", new BigDecimal("1.50"));
    data.put("decimalExp", new BigDecimal("1E+3"));
    data.put("smallBigInteger", BigInteger.valueOf(12));
    data.put("hugeInteger", new BigInteger("123456789012345678901234567890"));
    data.put("double", 1.0);
    data.put("tiny", 4.9e-324);
    data.put("huge", 1.0e300);
    data.put("null", null);
    data.put("wrapperLookalike", Map.of("$dec", "not a decimal"));
    data.put("nestedLookalike", Map.of("$map", Map.of("$int", "7")));
    data.put("list", List.of(1L, "two", List.of(), Map.of()));
    data.put("text", "ünïcødé \"quoted\" \n ✓");
    Context context =
        new Context("room:1", 42, Snapshots.freeze(data), 1_700_000_000_123L, Epochs.next());

    Context back = FileContextStore.decode(FileContextStore.encode(context));

    assertThat(back).isEqualTo(context);
    assertThat(back.data().get("decimal")).isInstanceOf(BigDecimal.class);
    assertThat(((BigDecimal) back.data().get("decimal")).scale()).isEqualTo(2);
    assertThat(back.data().get("smallBigInteger")).isInstanceOf(BigInteger.class);
    assertThat(back.data().get("double")).isInstanceOf(Double.class);
    assertThat(back.data().get("beyond53")).isEqualTo((1L << 53) + 1);
  }
}
