package dev.kindred.topology.internals;

import static dev.kindred.clinical.testing.Facts.measurement;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.PatientState;
import dev.kindred.avro.PatientStatePart;
import dev.kindred.avro.PatientVector;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.clinical.pipeline.PipelineSettings;
import dev.kindred.fhir.testing.FhirJson;
import java.time.Duration;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The patient-state processor on its own stores: what survives a stop between a change and its publication. */
@Timeout(30)
class PatientStateProcessorTest {
    private final PatientPipeline pipeline = new PatientPipeline(FhirJson.testCatalog(), OutcomeRules.builtIn(),
            PipelineSettings.DEFAULTS);
    private final KeyValueStore<String, PatientState> states = new PatientStateStore(Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore("states"), Serdes.String(), new PartSerde()).withLoggingDisabled().build(), 100);
    private final KeyValueStore<String, String> schedule = Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore("schedule"), Serdes.String(), Serdes.String()).withLoggingDisabled().build();

    private MockProcessorContext<String, SpecificRecord> start(PatientStateProcessor processor) {
        MockProcessorContext<String, SpecificRecord> context = new MockProcessorContext<>();
        context.setCurrentSystemTimeMs(java.time.Instant.parse("2021-03-01T00:00:00Z").toEpochMilli());
        if (!states.isOpen()) {
            states.init(context.getStateStoreContext(), states);
            schedule.init(context.getStateStoreContext(), schedule);
        }
        context.addStateStore(states);
        context.addStateStore(schedule);
        processor.init(context);
        return context;
    }

    private PatientStateProcessor processor() {
        return new PatientStateProcessor("states", "index", "schedule", pipeline, Duration.ofSeconds(1));
    }

    @Test
    void aPatientWaitingForItsPublicationIsPublishedByTheNextStart() {
        PatientStateProcessor running = processor();
        MockProcessorContext<String, SpecificRecord> first = start(running);
        running.process(new Record<>("p7", measurement("p7", "glucose", 95, "2021-02-01", "g1"), 0L));
        assertThat(first.forwarded()).as("published only when the interval ends").isEmpty();

        // The instance stops before its punctuation: the next one finds the mark and publishes.
        MockProcessorContext<String, SpecificRecord> next = start(processor());
        assertThat(next.scheduledPunctuators()).hasSize(1);
        next.scheduledPunctuators().get(0).getPunctuator().punctuate(1_000L);
        List<Object> published = next.forwarded().stream().map(f -> (Object) f.record().value()).toList();
        assertThat(published).hasSize(1).first().isInstanceOfSatisfying(PatientVector.class,
                v -> assertThat(v.getPatientKey()).isEqualTo("p7"));

        next.resetForwards();
        next.scheduledPunctuators().get(0).getPunctuator().punctuate(2_000L);
        assertThat(next.forwarded()).as("published once").isEmpty();
    }

    @Test
    void aPatientWhoseLatestEventPredates1970IsPublishedWithAValidTimestamp() {
        PatientStateProcessor running = processor();
        MockProcessorContext<String, SpecificRecord> context = start(running);
        running.process(new Record<>("p1962", measurement("p1962", "glucose", 95, "1962-05-01", "g"), 0L));
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(1_000L);
        assertThat(context.forwarded()).hasSize(1).first().satisfies(f -> {
            assertThat(f.record().timestamp()).isNotNegative();
            assertThat(((PatientVector) f.record().value()).getEffectiveTime())
                    .isEqualTo(java.time.Instant.parse("1962-05-01T10:00:00Z"));
        });
    }

    /** Patient state parts in the in-memory store, as Avro without a registry. */
    static final class PartSerde extends org.apache.kafka.common.serialization.Serdes.WrapperSerde<PatientStatePart> {
        PartSerde() {
            super((topic, part) -> encode(part), (topic, bytes) -> decode(bytes));
        }

        private static byte[] encode(PatientStatePart part) {
            try {
                java.nio.ByteBuffer buffer = part.toByteBuffer();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return bytes;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private static PatientStatePart decode(byte[] bytes) {
            try {
                return PatientStatePart.fromByteBuffer(java.nio.ByteBuffer.wrap(bytes));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
