package dev.kindred.connectors.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.connectors.files.FhirResourceRecord;
import dev.kindred.connectors.replay.EventTimeReplayer.ReplayException;
import dev.kindred.connectors.replay.EventTimeReplayer.Summary;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class EventTimeReplayerTest {

    private static final Map<String, String> TOPICS = Map.of(
            "Patient", "fhir.patient", "Observation", "fhir.observation", "Condition", "fhir.condition");

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());

    @Test
    void sendsInEventTimeOrderPatientsAndUnreadableFirstRoutedByType() throws IOException {
        // Two files read in order a-, b-; times interleave across them; one tie keeps reading order.
        Files.writeString(dir.resolve("a-obs.ndjson"), String.join("\n",
                obs("o3", "2021-03-01T00:00:00Z", "urn:uuid:p1"),
                obs("o1", "2021-01-01T00:00:00Z", "Patient/p2"),
                "{not json",
                obs("tieA", "2021-02-01T00:00:00Z", "https://h/fhir/Patient/p1/_history/3"),
                "{\"resourceType\":\"Claim\",\"id\":\"c1\",\"created\":\"2000-01-01\"}"));
        Files.writeString(dir.resolve("b-bundle.json"), """
                {"resourceType":"Bundle","type":"collection","entry":[
                  {"resource":{"resourceType":"Condition","id":"tieB","subject":{"reference":"Patient/p2"},
                               "onsetDateTime":"2021-02-01T00:00:00Z"}},
                  {"resource":{"resourceType":"Patient","id":"p1"}},
                  {"resource":{"resourceType":"Observation","id":"o0","effectiveDateTime":"2020-12-31",
                               "subject":{"reference":"Group/herd"}}}
                ]}""");
        List<long[]> progress = new ArrayList<>();

        Summary summary = new EventTimeReplayer(producer, TOPICS, "fhir.other")
                .replay(List.of(dir), (sent, total) -> progress.add(new long[]{sent, total}));

        assertThat(producer.history()).extracting(r -> r.topic(), r -> id(r), r -> key(r)).containsExactly(
                tuple("fhir.other", null, null),               // unparseable line: no time, read first
                tuple("fhir.patient", "p1", "p1"),             // Patient: no time
                tuple("fhir.observation", "o0", null),         // 2020-12-31, subject is a Group: no key
                tuple("fhir.observation", "o1", "p2"),         // 2021-01-01
                tuple("fhir.observation", "tieA", "p1"),       // 2021-02-01, read before tieB
                tuple("fhir.condition", "tieB", "p2"),         // 2021-02-01
                tuple("fhir.observation", "o3", "p1"));        // 2021-03-01
        assertThat(new String(producer.history().get(0).value(), StandardCharsets.UTF_8)).isEqualTo("{not json");
        assertThat(new String(producer.history().get(1).headers().lastHeader(EventTimeReplayer.ORIGIN_HEADER).value(),
                StandardCharsets.UTF_8)).isEqualTo(dir.resolve("b-bundle.json") + "#entry[1]");
        assertThat(producer.history()).allMatch(r -> r.timestamp() == null, "Kafka timestamp left to the producer");
        assertThat(producer.flushed()).isTrue();

        assertThat(summary.sentPerTopic()).containsExactly(
                Map.entry("fhir.condition", 1L), Map.entry("fhir.observation", 4L),
                Map.entry("fhir.other", 1L), Map.entry("fhir.patient", 1L));
        assertThat(summary.sent()).isEqualTo(7);
        assertThat(summary.skipped()).as("the Claim has no topic").isEqualTo(1);
        assertThat(summary.unparseable()).isEqualTo(1);
        assertThat(summary.distinctPatients()).isEqualTo(2);
        assertThat(summary.read().files()).isEqualTo(2);
        assertThat(progress).isNotEmpty();
        assertThat(progress.get(progress.size() - 1)).containsExactly(7, 7);
        assertThat(progress).extracting(p -> p[0]).isSorted();
    }

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void medicationsGoFirstEvenWithATimeSoRequestsNamingThemResolveOnArrival() {
        Map<String, String> topics = Map.of("Patient", "fhir.patient", "MedicationRequest", "fhir.medicationrequest",
                "Medication", "fhir.medication");
        Stream<FhirResourceRecord> records = Stream.of(
                record("Patient", "p1", null, "Patient/p1"),
                record("MedicationRequest", "mr1", Instant.parse("2019-01-01T00:00:00Z"), "Patient/p1"),
                // e.g. a Medication carrying meta.lastUpdated, later than the request that names it
                record("Medication", "m1", Instant.parse("2024-01-01T00:00:00Z"), null),
                record("Medication", "m2", null, null));

        new EventTimeReplayer(producer, topics, null).replay(records, EventTimeReplayer.Progress.none());

        assertThat(producer.history()).extracting(ProducerRecord::topic, EventTimeReplayerTest::id).containsExactly(
                tuple("fhir.medication", "m2"), tuple("fhir.medication", "m1"), tuple("fhir.patient", "p1"),
                tuple("fhir.medicationrequest", "mr1"));
    }

    @Test
    void withoutAnUnparseableTopicUnmappedAndUnreadableRecordsAreSkippedAndCounted() {
        Stream<FhirResourceRecord> records = Stream.of(
                record("Claim", "c1", null, null),
                record(null, null, null, null),
                record("Patient", "p1", null, "Patient/p1"));

        Summary summary = new EventTimeReplayer(producer, TOPICS, null).replay(records, EventTimeReplayer.Progress.none());

        assertThat(producer.history()).extracting(ProducerRecord::topic).containsExactly("fhir.patient");
        assertThat(summary.skipped()).isEqualTo(2);
        assertThat(summary.unparseable()).isEqualTo(1);
        assertThat(summary.read()).isNull();
    }

    @Test
    void aSynchronousSendErrorStopsTheReplayNamingTheRecord() {
        producer.sendException = new org.apache.kafka.common.errors.AuthorizationException("not allowed");
        EventTimeReplayer replayer = new EventTimeReplayer(producer, TOPICS, null);

        assertThatThrownBy(() -> replayer.replay(Stream.of(record("Patient", "p1", null, "Patient/p1")),
                EventTimeReplayer.Progress.none()))
                .isInstanceOf(ReplayException.class)
                .hasMessageContaining("origin-p1").hasMessageContaining("fhir.patient")
                .hasCauseInstanceOf(org.apache.kafka.common.errors.AuthorizationException.class);
    }

    @Test
    void aRecordTheProducerRefusesAsTooLargeIsReportedAndTheReplayGoesOn() {
        producer.sendException = new RecordTooLargeException("too large");
        Summary summary = new EventTimeReplayer(producer, TOPICS, null).replay(
                Stream.of(record("Patient", "p1", null, "Patient/p1")), EventTimeReplayer.Progress.none());

        assertThat(summary.oversized()).singleElement().asString().contains("origin-p1");
        assertThat(summary.sent()).isZero();
    }

    @Test
    void anAsynchronousSendErrorIsNotLost() {
        MockProducer<byte[], byte[]> failing = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer()) {
            @Override
            public synchronized void flush() {
                completeNext();
                errorNext(new TimeoutException("broker gone"));
                super.flush();
            }
        };
        Stream<FhirResourceRecord> records = IntStream.range(0, 5)
                .mapToObj(i -> record("Observation", "o" + i, Instant.ofEpochSecond(i), "Patient/p"));

        assertThatThrownBy(() -> new EventTimeReplayer(failing, TOPICS, null).replay(records, EventTimeReplayer.Progress.none()))
                .isInstanceOf(ReplayException.class)
                .hasMessageContaining("origin-o1").hasMessageContaining("broker gone");
    }

    @Test
    void progressIsReportedAboutEveryPercentNotEveryRecord() {
        Stream<FhirResourceRecord> records = IntStream.range(0, 10_000)
                .mapToObj(i -> record("Observation", "o" + i, Instant.ofEpochSecond(10_000 - i), "Patient/p" + (i % 7)));
        List<Long> calls = new ArrayList<>();

        Summary summary = new EventTimeReplayer(producer, TOPICS, null).replay(records, (sent, total) -> calls.add(sent));

        assertThat(calls).hasSize(100).endsWith(10_000L);
        assertThat(summary.distinctPatients()).isEqualTo(7);
        assertThat(producer.history().get(0).value()).isEqualTo("{\"id\":\"o9999\"}".getBytes(StandardCharsets.UTF_8));
    }

    private static String obs(String id, String time, String subject) {
        return "{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",\"effectiveDateTime\":\"" + time
                + "\",\"subject\":{\"reference\":\"" + subject + "\"}}";
    }

    private static FhirResourceRecord record(String type, String id, Instant time, String patientRef) {
        return new FhirResourceRecord(type, id, ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8), time,
                patientRef, "origin-" + id);
    }

    private static String id(ProducerRecord<byte[], byte[]> r) {
        try {
            JsonNode node = JSON.readTree(r.value());
            return node.path("id").isTextual() ? node.path("id").asText() : null;
        } catch (IOException e) {
            return null; // the unparseable record
        }
    }

    private static String key(ProducerRecord<byte[], byte[]> r) {
        return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    }
}
