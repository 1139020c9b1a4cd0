package dev.kindred.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Deadline keys sort as their times do, before and after 1970, and give their time back. */
class DeadlineKeysTest {

    @Test
    void keysSortByTimeAndGiveTheirTimeBack() {
        List<Instant> times = List.of(Instant.parse("1901-05-02T00:00:00Z"), Instant.parse("1969-12-31T23:59:59Z"),
                Instant.EPOCH, Instant.parse("2021-03-04T05:06:07.089Z"), Instant.parse("2300-01-01T00:00:00Z"));
        List<String> keys = new ArrayList<>();
        for (Instant t : times) {
            String key = PatientStateProcessor.deadlineKey(t, "patient-" + keys.size());
            assertThat(PatientStateProcessor.deadlineOf(key)).isEqualTo(t);
            keys.add(key);
        }
        assertThat(keys).isSorted();
    }
}
