package dev.chord.spi;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of {@link Backend#listContexts}.
 *
 * @param contexts the contexts of this page
 * @param nextCursor the cursor for the next page, or {@code null} when the listing is complete
 */
public record ContextPage(List<ContextInfo> contexts, @Nullable String nextCursor) {
  public ContextPage {
    contexts = List.copyOf(contexts);
  }
}
