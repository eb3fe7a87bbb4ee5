package dev.chord.redis;

import dev.chord.BackendException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one Lua script ({@code chord.lua}) every context operation runs, called by its SHA1 digest
 * (EVALSHA: the script text is not sent each time). A server that does not know it yet (new,
 * restarted, or a cluster node that took over slots) answers NOSCRIPT; the call is then repeated
 * once with EVAL, which also caches the script there.
 */
final class Script {
  private final String source;
  private final String digest;
  private final Duration timeout;

  Script(Duration timeout) {
    this.timeout = timeout;
    try (InputStream in = Script.class.getResourceAsStream("chord.lua")) {
      if (in == null) {
        throw new IllegalStateException("chord.lua is missing from the chord-redis jar");
      }
      this.source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      this.digest =
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-1")
                      .digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-1", e);
    }
  }

  /** Runs the script: one round trip in the normal case, two the first time on a server. */
  List<Object> call(RedisClusterAsyncCommands<String, String> commands, ScriptCall call) {
    String[] keys = call.keys();
    String[] args = call.argv();
    String what = call.op().wireName;
    try {
      return await(commands.evalsha(digest, ScriptOutputType.MULTI, keys, args), what);
    } catch (RedisNoScriptException e) {
      return await(commands.eval(source, ScriptOutputType.MULTI, keys, args), what);
    } catch (RedisException e) {
      // Thrown before sending, e.g. a cluster with no node for the slot.
      throw new BackendException("Redis " + what + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Waits for a reply within the timeout; failures become {@link BackendException}, except
   * NOSCRIPT, which {@link #call} handles.
   */
  <T> T await(Future<T> future, String what) {
    try {
      // Lettuce itself times the command out after the timeout; the extra second only guards
      // against a future that is never completed.
      return future.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RedisNoScriptException noScript) {
        throw noScript;
      }
      throw new BackendException("Redis " + what + " failed: " + cause.getMessage(), cause);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new BackendException("Redis " + what + " timed out after " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("interrupted while waiting for Redis " + what, e);
    } catch (RedisException e) {
      throw new BackendException("Redis " + what + " failed: " + e.getMessage(), e);
    }
  }
}
