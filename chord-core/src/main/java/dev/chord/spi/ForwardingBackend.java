package dev.chord.spi;

import dev.chord.Context;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Backend} that hands every call to another one: the base for decorators (metrics, access
 * rules, conditional writes), which override only what they change. Methods added to {@link
 * Backend} later are forwarded here too, so a decorator never silently falls back to a default.
 */
public abstract class ForwardingBackend implements Backend {
  private final Backend delegate;

  protected ForwardingBackend(Backend delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The backend calls are handed to. */
  protected Backend delegate() {
    return delegate;
  }

  @Override
  public Optional<Context> get(String contextId) {
    return delegate.get(contextId);
  }

  @Override
  public void probe() {
    delegate.probe();
  }

  @Override
  public Optional<Context> getForCommit(String contextId) {
    return delegate.getForCommit(contextId);
  }

  @Override
  public CommitResult commit(Commit commit) {
    return delegate.commit(commit);
  }

  @Override
  public Optional<History> history(String contextId, long afterVersion, int maxDeltas) {
    return delegate.history(contextId, afterVersion, maxDeltas);
  }

  @Override
  public void restore(Context context) {
    delegate.restore(context);
  }

  @Override
  public boolean restoreIfAbsent(Context context) {
    return delegate.restoreIfAbsent(context);
  }

  @Override
  public boolean delete(String contextId) {
    return delegate.delete(contextId);
  }

  @Override
  public boolean deleteIf(String contextId, String epoch, long version) {
    return delegate.deleteIf(contextId, epoch, version);
  }

  @Override
  public long deleteDeltasBefore(String contextId, long insertedBefore) {
    return delegate.deleteDeltasBefore(contextId, insertedBefore);
  }

  @Override
  public ContextPage listContexts(@Nullable String cursor, int limit) {
    return delegate.listContexts(cursor, limit);
  }

  @Override
  public AutoCloseable subscribe(String contextId, Feed feed) {
    return delegate.subscribe(contextId, feed);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
