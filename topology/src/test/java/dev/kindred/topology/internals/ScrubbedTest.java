package dev.kindred.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ScrubbedTest {

    @Test
    void namesTheCauseChainAndWhereTheRootWasThrownButNoMessage() {
        Exception root = new IllegalArgumentException("glucose 12.3 mmol/L for Jane Doe");
        Exception wrapped = new RuntimeException("while processing Jane Doe", root);

        String described = Scrubbed.describe(wrapped);

        assertThat(described).startsWith("java.lang.RuntimeException <- java.lang.IllegalArgumentException at ")
                .contains(ScrubbedTest.class.getName())
                .doesNotContain("Jane").doesNotContain("12.3");
    }
}
