package dev.chord.spi;

import java.util.List;

/**
 * One page of {@link Backend#listContexts}.
 *
 * @param contexts the contexts of this page
 * @param nextCursor the cursor for the next page, or {@code null} when the listing is complete
 */
public record ContextPage(List<ContextInfo> contexts, String nextCursor) {
  public ContextPage {
    contexts = List.copyOf(contexts);
  }
}
