package dev.chord.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** What the report says about the machine, read from /proc and the running JVM. */
final class Machine {
  private Machine() {}

  /** Cores, CPU model and memory, e.g. {@code 2 cores (nproc), Intel Xeon, 23.4 GiB}. */
  static String describe() {
    String cpu = firstValue("/proc/cpuinfo", "model name").orElse("unknown CPU");
    String memory =
        firstValue("/proc/meminfo", "MemTotal")
            .map(
                kb ->
                    String.format(
                        Locale.ROOT,
                        "%.1f GiB",
                        Long.parseLong(kb.replaceAll("\\D", "")) / 1048576.0))
            .orElse("unknown memory");
    return Runtime.getRuntime().availableProcessors()
        + " cores (nproc), "
        + cpu
        + ", "
        + memory
        + " RAM, "
        + System.getProperty("os.name")
        + " "
        + System.getProperty("os.version");
  }

  static String jdk() {
    return System.getProperty("java.vm.name")
        + " "
        + System.getProperty("java.runtime.version")
        + " ("
        + System.getProperty("java.vm.vendor")
        + ")";
  }

  /** The 1, 5 and 15 minute load averages. */
  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return parts[0] + " / " + parts[1] + " / " + parts[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static java.util.Optional<String> firstValue(String file, String key) {
    try {
      List<String> lines = Files.readAllLines(Path.of(file));
      return lines.stream()
          .filter(line -> line.startsWith(key))
          .map(line -> line.substring(line.indexOf(':') + 1).trim())
          .findFirst();
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
  }
}
