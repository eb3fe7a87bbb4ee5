package dev.chord.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.ExtensionConfig;

/**
 * Adds {@code server_no_context_takeover} to every {@code permessage-deflate} offer of a WebSocket
 * upgrade before Jetty negotiates it, so that compression, when on, is always negotiated without
 * the server's context takeover (RFC 7692, section 7.1.1.1, lets a server answer with it whatever
 * the client offered; browsers offer plain {@code permessage-deflate}).
 *
 * <p>Why: with context takeover, every connection keeps its own zlib deflater for as long as it
 * lives, about 256 KiB of native memory; without it, each message is compressed on its own and
 * Jetty returns the deflater to its shared pool after every message, so an idle connection holds no
 * compression state. The price is a lower ratio on small messages, which cannot refer to earlier
 * ones. What the client compresses is its own choice: its context takeover, if it keeps one, costs
 * the server one inflater (about 40 KiB) per connection that sends.
 */
final class DeflateOffers extends Handler.Wrapper {
  static final String EXTENSION = "permessage-deflate";
  static final String NO_TAKEOVER = "server_no_context_takeover";

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    HttpFields headers = request.getHeaders();
    Optional<String> offers =
        withoutServerTakeover(headers.getValuesList(HttpHeader.SEC_WEBSOCKET_EXTENSIONS));
    if (offers.isEmpty()) {
      return super.handle(request, response, callback);
    }
    HttpFields rewritten =
        HttpFields.build(headers)
            .put(HttpHeader.SEC_WEBSOCKET_EXTENSIONS, offers.get())
            .asImmutable();
    return super.handle(
        new Request.Wrapper(request) {
          @Override
          public HttpFields getHeaders() {
            return rewritten;
          }
        },
        response,
        callback);
  }

  /**
   * The {@code Sec-WebSocket-Extensions} header, as one value, that offers what {@code offers} (the
   * request's values of it, in order) offer with {@link #NO_TAKEOVER} added to each {@link
   * #EXTENSION} offer (its name in any case) that lacks it; empty if none lacks it, and if the
   * offers do not parse (Jetty then refuses them as it would have).
   *
   * <p>Jetty's {@link ExtensionConfig#parse} hands out one shared, JVM-wide instance for common
   * offers such as plain {@code permessage-deflate}: a parsed offer is never changed, only a copy.
   */
  static Optional<String> withoutServerTakeover(List<String> offers) {
    if (offers.isEmpty()) {
      return Optional.empty();
    }
    List<ExtensionConfig> parsed;
    try {
      parsed = ExtensionConfig.parseList(offers.toArray(String[]::new));
    } catch (RuntimeException malformed) {
      return Optional.empty();
    }
    List<ExtensionConfig> rewritten = new ArrayList<>(parsed.size());
    boolean changed = false;
    for (ExtensionConfig offer : parsed) {
      if (EXTENSION.equalsIgnoreCase(offer.getName())
          && !offer.getParameterKeys().contains(NO_TAKEOVER)) {
        ExtensionConfig copy = new ExtensionConfig(offer);
        copy.setParameter(NO_TAKEOVER);
        rewritten.add(copy);
        changed = true;
      } else {
        rewritten.add(offer);
      }
    }
    return changed ? Optional.of(ExtensionConfig.toHeaderValue(rewritten)) : Optional.empty();
  }
}
