package dev.kindred.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class DeadLettersTest {

    @Test
    void internalErrorsNameTheExceptionClassButNeverQuoteItsMessage() {
        Exception e = new IllegalStateException("patient Jane Doe, born 1970-01-01, glucose 12.3");
        DeadLetter letter = DeadLetters.ofException(e, "fhir.observation", 2, 41, null,
                "{}".getBytes(StandardCharsets.UTF_8), Instant.EPOCH, 1024);
        assertThat(letter.getReasonCode()).isEqualTo("internal-error");
        assertThat(letter.getReason()).isEqualTo("java.lang.IllegalStateException");
        assertThat(letter.getSourceTopic()).isEqualTo("fhir.observation");
        assertThat(letter.getSourcePartition()).isEqualTo(2);
        assertThat(letter.getSourceOffset()).isEqualTo(41);
    }

    @Test
    void theOriginalIsCutToFitTheProducersLimitAndTheLetterSaysSo() {
        int budget = DeadLetters.originalBytesBudget(Map.of("producer.max.request.size", "300000"));
        assertThat(budget).isEqualTo(300_000 - DeadLetters.HEADROOM_BYTES);
        byte[] huge = new byte[1_000_000];
        DeadLetter letter = DeadLetters.ofException(new RuntimeException(), "t", 0, 0, null, huge, Instant.EPOCH, budget);
        assertThat(letter.getOriginalValue().remaining()).isEqualTo(budget);
        assertThat(letter.getReason()).contains("cut to its first " + budget + " of 1000000 bytes");
    }

    @Test
    void withoutAProducerLimitTheBudgetFollowsKafkasDefaultAndIsCapped() {
        assertThat(DeadLetters.originalBytesBudget(Map.of())).isEqualTo(DeadLetters.MAX_ORIGINAL_BYTES);
        assertThat(DeadLetters.originalBytesBudget(Map.of("max.request.size", 10_000_000)))
                .isEqualTo(DeadLetters.MAX_ORIGINAL_BYTES);
        assertThat(DeadLetters.originalBytesBudget(Map.of("max.request.size", 70_000))).isEqualTo(70_000 - 65_536);
    }
}
