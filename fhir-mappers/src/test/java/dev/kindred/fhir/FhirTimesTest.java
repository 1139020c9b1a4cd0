package dev.kindred.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written reading of common dateTimes gives what java.time gives, and leaves the rest to it. */
class FhirTimesTest {

    @Test
    void commonDateTimesReadAsJavaTimeReadsThem() {
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            String text = String.format(java.util.Locale.ROOT, "%04d-%02d-%02dT%02d:%02d:%02d%s%s",
                    1900 + random.nextInt(200), 1 + random.nextInt(12), 1 + random.nextInt(28), random.nextInt(24),
                    random.nextInt(60), random.nextInt(60),
                    List.of("", ".5", ".123", ".123456789").get(random.nextInt(4)),
                    List.of("Z", "+00:00", "-05:00", "+13:45").get(random.nextInt(4)));
            assertThat(FhirTimes.parse(text)).as(text).isEqualTo(OffsetDateTime.parse(text).toInstant());
        }
    }

    @Test
    void otherFormsStillParseOrAreRejected() {
        assertThat(FhirTimes.parse("2021")).isEqualTo(Instant.parse("2021-01-01T00:00:00Z"));
        assertThat(FhirTimes.parse("2021-03")).isEqualTo(Instant.parse("2021-03-01T00:00:00Z"));
        assertThat(FhirTimes.parse("2021-03-04")).isEqualTo(Instant.parse("2021-03-04T00:00:00Z"));
        assertThat(FhirTimes.parse("2021-03-04T05:06:07")).as("no offset: UTC").isEqualTo(Instant.parse("2021-03-04T05:06:07Z"));
        assertThat(FhirTimes.parseCommonDateTime("2021-02-30T00:00:00Z")).as("left to java.time").isNull();
        assertThatThrownBy(() -> FhirTimes.parse("2021-02-30T00:00:00Z")).isInstanceOf(Rejection.class);
        assertThatThrownBy(() -> FhirTimes.parse("2021-13-01T00:00:00Z")).isInstanceOf(Rejection.class);
        assertThatThrownBy(() -> FhirTimes.parse("2021-01-01T25:00:00Z")).isInstanceOf(Rejection.class);
        assertThat(FhirTimes.parse(null)).isNull();
    }
}
