package dev.kindred.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The index benchmark's reduced form, so that the harness keeps working; the real runs are by hand (README). */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class IndexBenchmarkSmokeTest {

    @Test
    void theSmokeRunReportsEveryTableWithSensibleRecall() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        new IndexBenchmark(out, IndexBenchmark.Options.parse(new String[] {"--smoke"})).runAll();
        String report = bytes.toString(StandardCharsets.UTF_8);
        assertThat(report).contains("### Search", "### Memory", "### Filtered search", "### Upsert",
                "Kindred HNSW int8:2.0", "Kindred HNSW binary:5.0", "Lucene 9.12.3 HNSW");
        assertThat(report.split("### Search")).hasSize(3);
        // in each dataset's search table, every Kindred variant reaches recall@10 >= 0.95 on the small sets
        int seen = 0;
        for (String section : report.split("### Search")) {
            String table = section.split("Queries/s ratios")[0];
            Matcher rows = Pattern.compile("\\| (Kindred HNSW[^|]*) \\| [0-9.]+ \\| ([^|]+) \\|").matcher(table);
            while (rows.find()) {
                assertThat(rows.group(2)).as(rows.group(1)).doesNotContain("not reached");
                seen++;
            }
        }
        assertThat(seen).isEqualTo(6); // three variants, two datasets
    }
}
