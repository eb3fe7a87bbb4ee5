package dev.chord.server;

import java.util.List;
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
    List<String> offers = headers.getValuesList(HttpHeader.SEC_WEBSOCKET_EXTENSIONS);
    if (offers.isEmpty()) {
      return super.handle(request, response, callback);
    }
    List<ExtensionConfig> configs;
    try {
      configs = ExtensionConfig.parseList(offers.toArray(String[]::new));
    } catch (RuntimeException malformed) {
      return super.handle(request, response, callback); // Jetty refuses it as it would have
    }
    boolean changed = false;
    for (ExtensionConfig config : configs) {
      if (EXTENSION.equalsIgnoreCase(config.getName())
          && !config.getParameterKeys().contains(NO_TAKEOVER)) {
        config.setParameter(NO_TAKEOVER);
        changed = true;
      }
    }
    if (!changed) {
      return super.handle(request, response, callback);
    }
    HttpFields rewritten =
        HttpFields.build(headers)
            .put(HttpHeader.SEC_WEBSOCKET_EXTENSIONS, ExtensionConfig.toHeaderValue(configs))
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
}
