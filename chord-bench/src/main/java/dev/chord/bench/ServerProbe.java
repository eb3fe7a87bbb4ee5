package dev.chord.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a server process on this machine costs, read from outside it: resident memory from {@code
 * /proc}, heap in use after a full collection through {@code jcmd}, and its sockets' kernel send
 * queues and send buffers through {@code ss}. Linux only, as the figures are.
 */
final class ServerProbe {
  /** The server's TCP sockets on its port, from {@code ss -tmn}. */
  record Sockets(
      int count, long sendQueueBytes, long largestSendQueue, int finWait, List<Long> tb) {}

  /**
   * One heap's or generation's use in {@code GC.heap_info}: G1 reports one heap, the Parallel and
   * Serial collectors a young and an old generation, summed.
   */
  private static final Pattern HEAP_USED =
      Pattern.compile("(?:heap|Gen|generation)\\s+total \\d+K, used (\\d+)K");

  private static final Pattern SEND_BUFFER = Pattern.compile("\\btb(\\d+)");

  private final long pid;
  private final int port;

  ServerProbe(long pid, int port) {
    this.pid = pid;
    this.port = port;
  }

  long pid() {
    return pid;
  }

  /**
   * Clock ticks per second of {@code /proc}'s CPU times ({@code getconf CLK_TCK}, 100 on Linux).
   */
  private static final double TICKS = 100;

  /** CPU time used by process {@code pid} so far (user and system), in seconds. */
  static double cpuSeconds(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS;
  }

  /** CPU time used by every process on the machine so far, in seconds over all cores. */
  static double machineCpuSeconds() throws IOException {
    String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
      busy += Long.parseLong(fields[i]);
    }
    return busy / TICKS;
  }

  /** Resident set size ({@code VmRSS}), in bytes. */
  long residentBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS for process " + pid);
  }

  /** Runs a full collection in the server, then answers the heap in use, in bytes. */
  long heapAfterGc() throws IOException {
    run("jcmd", Long.toString(pid), "GC.run");
    return heapUsedBytes(run("jcmd", Long.toString(pid), "GC.heap_info"));
  }

  /** The heap in use that {@code info}, a {@code GC.heap_info} answer, reports, in bytes. */
  static long heapUsedBytes(String info) throws IOException {
    Matcher used = HEAP_USED.matcher(info);
    long kib = 0;
    boolean found = false;
    while (used.find()) {
      kib += Long.parseLong(used.group(1));
      found = true;
    }
    if (!found) {
      throw new IOException("no heap figure in jcmd's answer: " + info);
    }
    return kib * 1024;
  }

  /** The server side of every TCP connection on its port, with their queues and buffers. */
  Sockets sockets() throws IOException {
    String[] lines = run("ss", "-tmnH", "( sport = :" + port + " )").split("\n");
    int count = 0;
    int finWait = 0;
    long total = 0;
    long largest = 0;
    List<Long> tb = new ArrayList<>();
    for (String line : lines) {
      String trimmed = line.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      if (trimmed.startsWith("skmem:")) {
        Matcher buffer = SEND_BUFFER.matcher(trimmed);
        if (buffer.find()) {
          tb.add(Long.parseLong(buffer.group(1)));
        }
        continue;
      }
      String[] fields = trimmed.split("\\s+");
      count++;
      if (fields[0].startsWith("FIN-WAIT")) {
        finWait++;
      }
      long queued = Long.parseLong(fields[2]);
      total += queued;
      largest = Math.max(largest, queued);
      Matcher buffer = SEND_BUFFER.matcher(trimmed);
      if (buffer.find()) {
        tb.add(Long.parseLong(buffer.group(1)));
      }
    }
    return new Sockets(count, total, largest, finWait, tb);
  }

  private static String run(String... command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed: " + out);
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      process.destroy();
    }
  }
}
