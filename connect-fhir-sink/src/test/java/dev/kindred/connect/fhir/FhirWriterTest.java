package dev.kindred.connect.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.connect.fhir.FhirWriter.Disposition;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class FhirWriterTest {

    @ParameterizedTest
    @ValueSource(ints = {200, 201, 204})
    void successIsWritten(int status) {
        assertThat(FhirWriter.classify(status)).isEqualTo(Disposition.WRITTEN);
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 429, 500, 502, 503, 504})
    void throttlingTimeoutsAndServerErrorsAreRetried(int status) {
        assertThat(FhirWriter.classify(status)).isEqualTo(Disposition.RETRY);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 405, 409, 410, 412, 422, 301, 304})
    void otherClientErrorsAndRedirectsAreRejected(int status) {
        assertThat(FhirWriter.classify(status)).isEqualTo(Disposition.REJECTED);
    }

    @Test
    void retryAfterIsReadAsSecondsOrAsAnHttpDate() {
        assertThat(FhirWriter.parseRetryAfter("3")).contains(Duration.ofSeconds(3));
        assertThat(FhirWriter.parseRetryAfter(" 0 ")).contains(Duration.ZERO);
        String inTenSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10));
        assertThat(FhirWriter.parseRetryAfter(inTenSeconds)).hasValueSatisfying(wait ->
            assertThat(wait).isBetween(Duration.ofSeconds(7), Duration.ofSeconds(10)));
        assertThat(FhirWriter.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).contains(Duration.ZERO);
        assertThat(FhirWriter.parseRetryAfter("-1")).isEmpty();
        assertThat(FhirWriter.parseRetryAfter("soon")).isEmpty();
    }
}
