package dev.chord.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class ServerProbeTest {
  @Test
  void g1ReportsOneHeap() throws IOException {
    String info =
        """
        12:
         garbage-first heap   total 258048K, used 24239K [0x0000000080000000, 0x0000000100000000)
          region size 1024K, 3 young (3072K), 0 survivors (0K)
         Metaspace       used 22596K, committed 23040K, reserved 1114112K
        """;
    assertThat(ServerProbe.heapUsedBytes(info)).isEqualTo(24239L * 1024);
  }

  @Test
  void parallelReportsTheYoungAndTheOldGeneration() throws IOException {
    String info =
        """
        18908:
         PSYoungGen      total 210432K, used 5836K [0x00000000d5580000, 0x0000000100000000)
          eden space 194560K, 3% used [0x00000000d5580000,0x00000000d5b33368,0x00000000e1380000)
          from space 15872K, 0% used [0x00000000e1380000,0x00000000e1380000,0x00000000e2300000)
         ParOldGen       total 258048K, used 24239K [0x0000000080000000, 0x00000000d5580000)
          object space 258048K, 9% used [0x0000000080000000,0x00000000817abdc0,0x000000008fc00000)
         Metaspace       used 22596K, committed 23040K, reserved 1114112K
        """;
    assertThat(ServerProbe.heapUsedBytes(info)).isEqualTo((5836L + 24239) * 1024);
  }

  @Test
  void anAnswerWithoutAHeapIsAnError() {
    assertThatThrownBy(() -> ServerProbe.heapUsedBytes("12:\n Metaspace used 1K\n"))
        .isInstanceOf(IOException.class);
  }
}
