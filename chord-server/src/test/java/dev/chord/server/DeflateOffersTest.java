package dev.chord.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.websocket.core.ExtensionConfig;
import org.junit.jupiter.api.Test;

/** The rewriting of {@code Sec-WebSocket-Extensions} offers, without a server around it. */
class DeflateOffersTest {
  /** An offer as Jetty reads it: its name and parameters (in no order). */
  record Offer(String name, Map<String, String> parameters) {
    static Offer of(String name, String... keysAndValues) {
      Map<String, String> parameters = new HashMap<>();
      for (int i = 0; i < keysAndValues.length; i += 2) {
        parameters.put(keysAndValues[i], keysAndValues[i + 1]);
      }
      return new Offer(name, parameters);
    }
  }

  /** What {@link DeflateOffers#withoutServerTakeover} makes of {@code headers}, read back. */
  static List<Offer> rewritten(String... headers) {
    String header = DeflateOffers.withoutServerTakeover(List.of(headers)).orElseThrow();
    return ExtensionConfig.parseList(header).stream()
        .map(config -> new Offer(config.getName(), config.getParameters()))
        .toList();
  }

  @Test
  void plainOffer_getsTheParameter_andJettysSharedParseIsLeftAsItWas() {
    // Jetty's parse hands out one cached instance for each of these, JVM-wide
    for (String cached :
        List.of("permessage-deflate", "permessage-deflate; client_max_window_bits")) {
      assertThat(DeflateOffers.withoutServerTakeover(List.of(cached))).isPresent();

      assertThat(ExtensionConfig.parse(cached).getParameterKeys())
          .as("what Jetty parses from %s afterwards", cached)
          .doesNotContain(DeflateOffers.NO_TAKEOVER);
    }
  }

  @Test
  void theSameOffer_isRewrittenEveryTime() {
    for (int i = 0; i < 3; i++) {
      assertThat(rewritten("permessage-deflate"))
          .containsExactly(Offer.of("permessage-deflate", DeflateOffers.NO_TAKEOVER, null));
    }
  }

  @Test
  void everyDeflateOfferOfOneHeader_getsIt_inOrder_withItsOwnParameters() {
    assertThat(
            rewritten(
                "permessage-deflate; client_max_window_bits=10; server_max_window_bits=12,"
                    + " permessage-deflate; client_no_context_takeover, permessage-deflate"))
        .containsExactly(
            Offer.of(
                "permessage-deflate",
                "client_max_window_bits",
                "10",
                "server_max_window_bits",
                "12",
                DeflateOffers.NO_TAKEOVER,
                null),
            Offer.of(
                "permessage-deflate",
                "client_no_context_takeover",
                null,
                DeflateOffers.NO_TAKEOVER,
                null),
            Offer.of("permessage-deflate", DeflateOffers.NO_TAKEOVER, null));
  }

  @Test
  void offersAcrossSeveralHeaders_becomeOneHeader_andOtherExtensionsAreKeptAsTheyAre() {
    assertThat(rewritten("x-webkit-deflate-frame", "permessage-deflate; client_max_window_bits"))
        .containsExactly(
            Offer.of("x-webkit-deflate-frame"),
            Offer.of(
                "permessage-deflate",
                "client_max_window_bits",
                null,
                DeflateOffers.NO_TAKEOVER,
                null));
  }

  @Test
  void theExtensionName_matchesInAnyCase() {
    assertThat(rewritten("PerMessage-Deflate; client_max_window_bits=15"))
        .containsExactly(
            Offer.of(
                "PerMessage-Deflate",
                "client_max_window_bits",
                "15",
                DeflateOffers.NO_TAKEOVER,
                null));
  }

  @Test
  void anOfferThatHasIt_isLeftAsItIs_andOnlyTheOthersGetIt() {
    assertThat(
            DeflateOffers.withoutServerTakeover(
                List.of("permessage-deflate; server_no_context_takeover; client_max_window_bits")))
        .isEmpty();
    assertThat(
            rewritten(
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
                "permessage-deflate"))
        .containsExactly(
            Offer.of(
                "permessage-deflate",
                DeflateOffers.NO_TAKEOVER,
                null,
                "server_max_window_bits",
                "10"),
            Offer.of("permessage-deflate", DeflateOffers.NO_TAKEOVER, null));
  }

  @Test
  void noDeflateOffer_noHeader_orAMalformedOne_isLeftToJetty() {
    assertThat(DeflateOffers.withoutServerTakeover(List.of())).isEmpty();
    assertThat(DeflateOffers.withoutServerTakeover(List.of("x-webkit-deflate-frame"))).isEmpty();
    assertThat(DeflateOffers.withoutServerTakeover(List.of("permessage-deflate; a=\"b"))).isEmpty();
  }
}
