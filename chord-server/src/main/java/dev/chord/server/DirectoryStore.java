package dev.chord.server;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.chord.Context;
import dev.chord.ContextExporter;
import dev.chord.ContextProvider;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The exporter and provider behind {@code POST /contexts/{id}/export} and {@code …/restore}: one
 * JSON file per context ({@code {"contextId", "version", "insertedAt", "data"}}) in a directory.
 * Writes go to a temporary file that is then atomically renamed, so a reader never sees half a
 * file.
 */
final class DirectoryStore implements ContextExporter, ContextProvider {
  private final Path dir;

  DirectoryStore(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  @Override
  public void export(Context context) throws IOException {
    Map<String, Object> file = new LinkedHashMap<>();
    file.put("contextId", context.contextId());
    file.put("version", context.version());
    file.put("insertedAt", context.insertedAt());
    file.put("data", context.data());
    Path target = fileOf(context.contextId());
    Path temp = Files.createTempFile(dir, ".export-", ".tmp");
    try {
      Files.write(temp, Json.writeBytes(file));
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  @Override
  public Optional<Context> fetch(String contextId) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(fileOf(contextId));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Map<String, Object> file = Json.readTrusted(bytes);
    if (file.get("version") instanceof Number version
        && file.get("insertedAt") instanceof Number insertedAt
        && file.get("data") instanceof Map<?, ?> data) {
      @SuppressWarnings("unchecked")
      Map<String, Object> typed = (Map<String, Object>) data;
      return Optional.of(
          new Context(contextId, version.longValue(), typed, insertedAt.longValue()));
    }
    throw new IOException("not an exported context: " + fileOf(contextId));
  }

  private Path fileOf(String contextId) {
    return dir.resolve(URLEncoder.encode(contextId, UTF_8) + ".json");
  }
}
