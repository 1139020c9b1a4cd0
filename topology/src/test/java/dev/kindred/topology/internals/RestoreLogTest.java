package dev.kindred.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

@Timeout(10)
class RestoreLogTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger(RestoreLog.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeEach
    void attach() {
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(appender);
    }

    @Test
    void saysWhatIsRestoredHowFarItGotAndHowLongItTook() {
        AtomicLong now = new AtomicLong(1_000);
        RestoreLog log = new RestoreLog(now::get);
        TopicPartition changelog = new TopicPartition("kindred-patient-state-changelog", 3);

        log.onRestoreStart(changelog, "patient-state", 100, 50_100);
        now.addAndGet(4_000);
        log.onBatchRestored(changelog, "patient-state", 10_100, 10_000); // under the interval: quiet
        now.addAndGet(7_000);
        log.onBatchRestored(changelog, "patient-state", 20_100, 10_000);
        now.addAndGet(1_500);
        log.onRestoreEnd(changelog, "patient-state", 50_000);

        List<String> lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines).containsExactly(
                "restoring store patient-state from kindred-patient-state-changelog-3: up to 50000 records (offsets 100 to 50100)",
                "restoring store patient-state from kindred-patient-state-changelog-3: 20000 of up to 50000 records in 11 s",
                "restored store patient-state from kindred-patient-state-changelog-3: 50000 records in 12500 ms");
    }
}
