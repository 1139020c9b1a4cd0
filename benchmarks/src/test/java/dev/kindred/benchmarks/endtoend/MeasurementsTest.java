package dev.kindred.benchmarks.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MeasurementsTest {

    @Test
    void percentilesAreNearestRank() {
        long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(BuildRunner.percentile(sorted, 50)).isEqualTo(5);
        assertThat(BuildRunner.percentile(sorted, 95)).isEqualTo(10);
        assertThat(BuildRunner.percentile(new long[] {7}, 99)).isEqualTo(7);
        assertThat(BuildRunner.percentile(new long[0], 50)).isEqualTo(-1);
    }

    @Test
    void heapInUseIsReadFromG1AndParallelOutput() {
        String g1 = """
                12345:
                 garbage-first heap   total 1462272K, used 854439K [0x0000000740000000, 0x0000000800000000)
                  region size 2048K, 247 young (505856K), 6 survivors (12288K)
                 Metaspace       used 103664K, committed 105024K, reserved 1179648K
                  class space    used 11462K, committed 12096K, reserved 1048576K
                """;
        assertThat(AppProcess.heapUsedBytes(g1)).isEqualTo(854439L * 1024);
        String parallel = """
                12345:
                 PSYoungGen      total 76288K, used 3932K [0x000000076ab00000, 0x0000000770000000, 0x00000007c0000000)
                  eden space 65536K, 6% used [0x000000076ab00000,0x000000076aed7240,0x000000076eb00000)
                 ParOldGen       total 175104K, used 100K [0x00000006c0000000, 0x00000006cab00000, 0x000000076ab00000)
                 Metaspace       used 6418K, committed 6656K, reserved 1056768K
                """;
        assertThat(AppProcess.heapUsedBytes(parallel)).isEqualTo((3932L + 100) * 1024);
        assertThatThrownBy(() -> AppProcess.heapUsedBytes("12345:\nUnknown diagnostic command\n"))
                .isInstanceOf(IllegalStateException.class);
    }
}
