package dev.chord.filestore;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.chord.Context;
import dev.chord.ContextExporter;
import dev.chord.ContextProvider;
import dev.chord.json.TypedJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ContextExporter} and {@link ContextProvider} that keeps one JSON file per context in a
 * directory: {@code Chord.builder().exporter(store).externalProvider(store)}.
 *
 * <pre>{@code
 * FileContextStore store = FileContextStore.create(Path.of("/var/lib/chord"));
 * try (Chord chord =
 *     Chord.builder()
 *         .exporter(store)
 *         .externalProvider(store)
 *         .exportOnChange(Duration.ofSeconds(2))
 *         .restoreOnMiss(true)
 *         .build()) {
 *   …
 * }
 * }</pre>
 *
 * <p>A file is {@code {"format": 1, "contextId", "epoch", "version", "insertedAt", "data"}}, named
 * after the URL-encoded id with capitals escaped too, so that names stay distinct on
 * case-insensitive file systems ({@code room%3A1.json}, {@code %52oom.json} for {@code Room}; an id
 * whose encoding is longer than 200 chars gets {@code ~<sha-256 of the id>.json}). Temporary files
 * a crash left behind are deleted by {@link #create} once they are an hour old. Values read back
 * with their Java type: longs beyond 2^53, {@code BigDecimal} with its scale, {@code BigInteger},
 * doubles (see {@link TypedJson#standard()}, the form chord-redis stores values in). Files of the
 * earlier chord-server format (no epoch) are read too, without an epoch.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>A file is never seen half-written: an export writes a temporary file in the directory,
 *       forces it to disk, renames it over the old file atomically and forces the directory, so
 *       after {@link #export} returns the context survives a crash of the process or the machine.
 *   <li>An export never replaces a newer version of the same epoch with an older one (or the same
 *       version again): it compares with the file under a lock, a lock file in {@code .locks/} held
 *       with {@link FileChannel#lock()}, so this holds for threads and for processes (nodes)
 *       sharing the directory on one machine or on a file system with working POSIX locks. An
 *       export of another epoch (a new incarnation of the id) replaces the file.
 *   <li>{@link #fetch} returns exactly what the file holds, or empty if there is none.
 * </ul>
 *
 * <p>Thread-safe. Exports of different ids proceed in parallel except for ids that share one of
 * {@value #STRIPES} lock stripes.
 */
public final class FileContextStore implements ContextExporter, ContextProvider {
  /** The number of lock files; exports of ids in different stripes never wait for each other. */
  static final int STRIPES = 64;

  private static final int FORMAT = 1;
  private static final int MAX_ENCODED_NAME = 200;
  private static final Duration STALE_TEMPORARY = Duration.ofHours(1);
  private static final String LOCKS = ".locks";
  private static final TypedJson VALUES = TypedJson.standard();
  private static final JsonFactory JSON = VALUES.factory();

  /**
   * Per directory, one in-process lock per stripe: a JVM cannot hold two {@link FileLock}s on one
   * file at once (it throws), so threads (and stores on one directory in one JVM) take this first.
   */
  private static final Map<Path, ReentrantLock[]> PROCESS_LOCKS = new ConcurrentHashMap<>();

  private final Path dir;
  private final ReentrantLock[] processLocks;

  private FileContextStore(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir).toRealPath();
    Files.createDirectories(this.dir.resolve(LOCKS));
    sweepTemporaryFiles();
    this.processLocks =
        PROCESS_LOCKS.computeIfAbsent(
            this.dir,
            d -> {
              ReentrantLock[] locks = new ReentrantLock[STRIPES];
              for (int i = 0; i < STRIPES; i++) {
                locks[i] = new ReentrantLock();
              }
              return locks;
            });
  }

  /**
   * A store in {@code dir}, created if absent.
   *
   * @throws UncheckedIOException if the directory cannot be created or used
   */
  public static FileContextStore create(Path dir) {
    Objects.requireNonNull(dir, "dir");
    try {
      return new FileContextStore(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use store directory " + dir + ": " + e, e);
    }
  }

  /** The directory, as a real path. */
  public Path directory() {
    return dir;
  }

  /**
   * Writes {@code context} to its file, unless the file holds the same epoch at this version or a
   * later one (then nothing is written). Durable when it returns.
   *
   * @throws IOException if writing failed; the previous file is intact then
   */
  @Override
  public void export(Context context) throws IOException {
    byte[] bytes = encode(context);
    Path target = fileOf(context.contextId());
    withLock(
        context.contextId(),
        () -> {
          Header stored = header(target);
          if (stored != null
              && context.epoch() != null
              && context.epoch().equals(stored.epoch)
              && stored.version >= context.version()) {
            return null;
          }
          Path temp = Files.createTempFile(dir, ".export-", ".tmp");
          try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
              ByteBuffer buffer = ByteBuffer.wrap(bytes);
              while (buffer.hasRemaining()) {
                out.write(buffer);
              }
              out.force(true);
            }
            Files.move(
                temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          } finally {
            Files.deleteIfExists(temp);
          }
          forceDirectory();
          return null;
        });
  }

  /**
   * The context in {@code contextId}'s file, or empty if there is none.
   *
   * @throws IOException if the file cannot be read or is not an exported context
   */
  @Override
  public Optional<Context> fetch(String contextId) throws IOException {
    Path file = fileOf(contextId);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      Context context = decode(bytes);
      if (!context.contextId().equals(contextId)) {
        throw new IOException("holds context '" + context.contextId() + "'");
      }
      return Optional.of(context);
    } catch (IOException | RuntimeException e) {
      throw new IOException("not an exported context: " + file + " (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Deletes {@code contextId}'s file, if there is one, and forces the directory: {@code
   * Chord.deleteContext} calls this, so that with {@code Chord.Builder#restoreOnMiss} a deleted
   * context does not come back from its file.
   *
   * @throws IOException if deleting failed
   */
  @Override
  public void delete(String contextId) throws IOException {
    Path file = fileOf(contextId);
    withLock(
        contextId,
        () -> {
          Files.deleteIfExists(file);
          forceDirectory();
          return null;
        });
  }

  // ---- files ----

  /** The file of {@code contextId}. */
  Path fileOf(String contextId) {
    String encoded = encode(contextId);
    if (encoded.length() > MAX_ENCODED_NAME) {
      // '~' is always escaped by encode, so this name is never an encoded id.
      encoded = "~" + HexFormat.of().formatHex(sha256(contextId));
    }
    return dir.resolve(encoded + ".json");
  }

  /**
   * {@code id} as a file name that is unique even on a case-insensitive file system: URL encoding
   * ({@code URLEncoder}'s, so an id without capitals keeps the earlier store's name), except that
   * capitals are escaped too ({@code A} is {@code %41}). The result holds lower-case letters,
   * digits, {@code . - * _ +} and escapes with upper-case hex digits only, so two ids never map to
   * names that differ in case alone.
   */
  static String encode(String id) {
    String url = URLEncoder.encode(id, UTF_8);
    StringBuilder out = new StringBuilder(url.length() + 8);
    for (int i = 0; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c == '%') {
        out.append(url, i, i + 3);
        i += 2;
      } else if (c >= 'A' && c <= 'Z') {
        out.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private interface Locked<T> {
    T run() throws IOException;
  }

  private <T> T withLock(String contextId, Locked<T> body) throws IOException {
    int stripe = Math.floorMod(contextId.hashCode(), STRIPES);
    ReentrantLock processLock = processLocks[stripe];
    processLock.lock();
    try (FileChannel lockFile =
            FileChannel.open(
                dir.resolve(LOCKS).resolve(stripe + ".lock"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock ignored = lockFile.lock()) {
      return body.run();
    } finally {
      processLock.unlock();
    }
  }

  /**
   * Deletes temporary files a crashed export left behind. Only old ones: a younger one may belong
   * to an export still running in another process on this directory.
   */
  private void sweepTemporaryFiles() throws IOException {
    long cutoff = System.currentTimeMillis() - STALE_TEMPORARY.toMillis();
    try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, ".export-*.tmp")) {
      for (Path temp : temps) {
        if (Files.getLastModifiedTime(temp).toMillis() < cutoff) {
          Files.deleteIfExists(temp);
        }
      }
    }
  }

  private void forceDirectory() throws IOException {
    // The rename is durable only once the directory entry is (POSIX: fsync the directory).
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  // ---- format ----

  /** The epoch and version of a stored file, or {@code null} if there is none. */
  private record Header(@Nullable String epoch, long version) {}

  private static @Nullable Header header(Path file) throws IOException {
    // Streamed: the header fields come first, the data is not read.
    try (InputStream in = Files.newInputStream(file);
        JsonParser p = JSON.createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String epoch = null;
      Long version = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "epoch" -> epoch = p.currentToken() == JsonToken.VALUE_STRING ? p.getText() : null;
          case "version" -> version = p.getLongValue();
          default -> p.skipChildren();
        }
        if (version != null && epoch != null) {
          break;
        }
      }
      return version == null ? null : new Header(epoch, version);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      // A file this store cannot read holds nothing a fetch could return: it is replaced.
      return null;
    }
  }

  static byte[] encode(Context context) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      // The header fields first: an export compares them without reading the data.
      g.writeNumberField("format", FORMAT);
      g.writeStringField("contextId", context.contextId());
      if (context.epoch() != null) {
        g.writeStringField("epoch", context.epoch());
      }
      g.writeNumberField("version", context.version());
      g.writeNumberField("insertedAt", context.insertedAt());
      g.writeFieldName("data");
      VALUES.write(g, context.data());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static @Nullable Object data(JsonParser p) throws IOException {
    try {
      return VALUES.read(p);
    } catch (NumberFormatException e) {
      throw new IOException("a malformed number in a wrapper", e);
    }
  }

  @SuppressWarnings("unchecked")
  static Context decode(byte[] bytes) throws IOException {
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not a JSON object");
      }
      String contextId = null;
      String epoch = null;
      Long version = null;
      Long insertedAt = null;
      Object data = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "format" -> {
            if (p.getIntValue() > FORMAT) {
              throw new IOException("format " + p.getIntValue() + " is newer than this store");
            }
          }
          case "contextId" -> contextId = p.getText();
          case "epoch" -> epoch = p.currentToken() == JsonToken.VALUE_NULL ? null : p.getText();
          case "version" -> version = p.getLongValue();
          case "insertedAt" -> insertedAt = p.getLongValue();
          case "data" -> data = data(p);
          default -> p.skipChildren();
        }
      }
      if (contextId == null
          || version == null
          || insertedAt == null
          || !(data instanceof Map<?, ?> map)) {
        throw new IOException("contextId, version, insertedAt or data missing");
      }
      return new Context(
          contextId, version, (Map<String, @Nullable Object>) map, insertedAt, epoch);
    }
  }
}
