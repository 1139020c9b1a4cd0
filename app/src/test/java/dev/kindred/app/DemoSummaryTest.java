package dev.kindred.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class DemoSummaryTest {
    @TempDir
    Path tmp;

    @Test
    void theProcessingTimeRunsFromTheFirstCommitToTheLast() throws Exception {
        DemoSummary summary = DemoSummary.of(73553, 38, 38, 6837, 0, 1_000_000_000L, 13_500_000_000L);

        assertThat(summary.line()).isEqualTo(
                "summary: events=73553 patients=38 vectors=38 alerts=6837 dead_letters=0 elapsed_s=12.5 events_per_s=5884");
        Path file = tmp.resolve("summary.json");
        summary.writeJson(file);
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertThat(json.get("elapsed_s").asDouble()).isEqualTo(12.5);
        assertThat(json.get("events_per_s").asDouble()).isEqualTo(5884.2);
        assertThat(json.get("events").asLong()).isEqualTo(73553);
    }

    @Test
    void withoutAnObservedCommitThereIsNoRate() {
        DemoSummary summary = DemoSummary.of(0, 0, 0, 0, 0, -1, 5_000_000_000L);

        assertThat(summary.elapsedSeconds()).isZero();
        assertThat(summary.eventsPerSecond()).isZero();
        assertThat(summary.line()).endsWith("elapsed_s=0.0 events_per_s=0");
    }
}
