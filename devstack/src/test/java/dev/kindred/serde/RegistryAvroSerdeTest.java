package dev.kindred.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.PatientVector;
import dev.kindred.registry.MockSchemaRegistryClient;
import dev.kindred.registry.RestSchemaRegistryClient;
import dev.kindred.devstack.registry.InProcessSchemaRegistry;
import dev.kindred.devstack.registry.RegistryHttp;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The serde against the in-process registry over real HTTP, as producers and Streams use it. */
class RegistryAvroSerdeTest {

    static final String ALERTS = "cds.alerts";
    static final String VECTORS = "cds.patient-vectors";

    private InProcessSchemaRegistry registry;
    private Map<String, Object> config;

    @BeforeEach
    void start() {
        registry = InProcessSchemaRegistry.start(0, null);
        config = new HashMap<>(Map.of(RegistryAvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url()));
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    @Test
    void wireFormatIsMagicByteSchemaIdAndPlainAvroBinary() throws Exception {
        ClinicalAlert alert = Fixtures.alert();
        byte[] bytes;
        try (Serde<ClinicalAlert> serde = RegistryAvroSerde.specific(ClinicalAlert.class, config, false)) {
            bytes = serde.serializer().serialize(ALERTS, alert);
        }
        RegistryHttp http = new RegistryHttp(registry.url());
        int registeredId = http.get("/subjects/cds.alerts-value/versions/latest").body().path("id").asInt();

        assertThat(bytes[0]).isEqualTo((byte) 0);
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(registeredId);

        Schema writer = new Schema.Parser().parse(
            http.get("/schemas/ids/" + registeredId).body().path("schema").asText());
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null);
        GenericRecord decoded = new GenericDatumReader<GenericRecord>(writer).read(null, decoder);
        assertThat(decoder.isEnd()).isTrue();
        assertThat(decoded.get("patientKey")).hasToString(Fixtures.PATIENT);
        assertThat(decoded.get("indicator")).hasToString("critical");
        assertThat(((GenericRecord) decoded.get("trigger")).get("code")).hasToString("2823-3");
        assertThat(((GenericRecord) decoded.get("trigger")).get("value")).isEqualTo(6.1);
        assertThat(((GenericRecord) ((List<?>) decoded.get("similarPatients")).get(0)).get("patientKey"))
            .hasToString("patient-11");
        assertThat(decoded.get("eventTime")).isEqualTo(alert.getEventTime().toEpochMilli());
    }

    @Test
    void clinicalAlertAndPatientVectorRoundTripOverHttp() {
        try (Serde<ClinicalAlert> alerts = RegistryAvroSerde.specific(ClinicalAlert.class, config, false);
             Serde<PatientVector> vectors = RegistryAvroSerde.specific(PatientVector.class, config, false)) {
            ClinicalAlert alert = Fixtures.alert();
            assertThat(alerts.deserializer().deserialize(ALERTS, alerts.serializer().serialize(ALERTS, alert)))
                .isEqualTo(alert);
            PatientVector vector = Fixtures.vector();
            PatientVector back = vectors.deserializer().deserialize(VECTORS, vectors.serializer().serialize(VECTORS, vector));
            assertThat(back).isEqualTo(vector);
            assertThat(back.getVectors().get("clinical")).containsExactly(0.12f, -0.5f, 1.75f, 0f);
        }
        assertThat(new RestSchemaRegistryClient(registry.url()).subjects())
            .containsExactly("cds.alerts-value", "cds.patient-vectors-value");
    }

    @Test
    void keysUseTheKeySubject() {
        try (Serde<PatientVector> keys = RegistryAvroSerde.specific(PatientVector.class, config, true)) {
            byte[] bytes = keys.serializer().serialize("some-topic", Fixtures.vector());
            assertThat(keys.deserializer().deserialize("some-topic", bytes)).isEqualTo(Fixtures.vector());
        }
        assertThat(new RestSchemaRegistryClient(registry.url()).subjects()).containsExactly("some-topic-key");
    }

    @Test
    void tombstonesStayNull() {
        try (Serde<PatientVector> serde = RegistryAvroSerde.specific(PatientVector.class, config, false)) {
            assertThat(serde.serializer().serialize(VECTORS, null)).isNull();
            assertThat(serde.deserializer().deserialize(VECTORS, (byte[]) null)).isNull();
            assertThat(serde.deserializer().deserialize(VECTORS, new RecordHeaders(), (ByteBuffer) null)).isNull();
        }
        assertThat(new RestSchemaRegistryClient(registry.url()).subjects()).isEmpty();
    }

    @Test
    void olderAndNewerWriterSchemasResolveIntoTheCurrentClass() throws Exception {
        Schema older = Fixtures.withoutField(PatientVector.getClassSchema(), "outcomes");
        Schema newer = withExtraField(PatientVector.getClassSchema());

        GenericRecord old = new GenericData.Record(older);
        old.put("patientKey", "patient-old");
        old.put("version", 3L);
        old.put("vectors", Map.of("clinical", List.of(1f, 2f)));
        old.put("catalogVersion", "catalog-2023.4");
        old.put("effectiveTime", 1_700_000_000_000L);

        GenericRecord fresh = new GenericData.Record(newer);
        PatientVector current = Fixtures.vector();
        for (Schema.Field field : PatientVector.getClassSchema().getFields()) {
            fresh.put(field.name(), GenericData.get().deepCopy(field.schema(),
                field.name().equals("effectiveTime") ? current.getEffectiveTime().toEpochMilli()
                    : field.name().equals("outcomes") ? List.of() : current.get(field.pos())));
        }
        fresh.put("acuity", 0.7);

        byte[] oldBytes;
        byte[] currentBytes;
        byte[] newBytes;
        try (Serde<GenericRecord> generic = RegistryAvroSerde.generic(config, false);
             Serde<PatientVector> specific = RegistryAvroSerde.specific(PatientVector.class, config, false)) {
            oldBytes = generic.serializer().serialize(VECTORS, old);
            currentBytes = specific.serializer().serialize(VECTORS, current);
            newBytes = generic.serializer().serialize(VECTORS, fresh);  // BACKWARD: the extra field has a default
        }
        assertThat(new RegistryHttp(registry.url()).get("/subjects/cds.patient-vectors-value/versions").body())
            .hasToString("[1,2,3]");

        try (Serde<PatientVector> reader = RegistryAvroSerde.specific(PatientVector.class, config, false);
             Serde<GenericRecord> generic = RegistryAvroSerde.generic(config, false)) {
            PatientVector fromOld = reader.deserializer().deserialize(VECTORS, oldBytes);
            assertThat(fromOld.getPatientKey()).isEqualTo("patient-old");
            assertThat(fromOld.getVersion()).isEqualTo(3L);
            assertThat(fromOld.getVectors()).containsEntry("clinical", List.of(1f, 2f));
            assertThat(fromOld.getEffectiveTime().toEpochMilli()).isEqualTo(1_700_000_000_000L);
            assertThat(fromOld.getOutcomes()).isEmpty();  // the default of the field the old writer lacked

            assertThat(reader.deserializer().deserialize(VECTORS, currentBytes)).isEqualTo(current);

            PatientVector fromNew = reader.deserializer().deserialize(VECTORS, newBytes);
            assertThat(fromNew.getPatientKey()).isEqualTo(current.getPatientKey());
            assertThat(fromNew.getVectors()).isEqualTo(current.getVectors());

            GenericRecord newAsWritten = generic.deserializer().deserialize(VECTORS, newBytes);
            assertThat(newAsWritten.getSchema()).isEqualTo(newer);
            assertThat(newAsWritten.get("acuity")).isEqualTo(0.7);
        }
    }

    @Test
    void badBytesThrowSerializationExceptionsWithoutRecordContents() {
        try (Serde<ClinicalAlert> serde = RegistryAvroSerde.specific(ClinicalAlert.class, config, false)) {
            Deserializer<ClinicalAlert> deserializer = serde.deserializer();
            byte[] good = serde.serializer().serialize(ALERTS, Fixtures.alert());

            byte[] wrongMagic = good.clone();
            wrongMagic[0] = 1;
            assertBad(deserializer, wrongMagic, "unknown magic byte 0x01");
            assertBad(deserializer, "{\"resourceType\":\"Observation\"}".getBytes(), "unknown magic byte 0x7b");

            byte[] unknownId = good.clone();
            unknownId[4] = (byte) 0x7f;
            assertBad(deserializer, unknownId, "schema id 127");

            assertBad(deserializer, new byte[] {0, 0, 0}, "too short");
            assertBad(deserializer, Arrays.copyOf(good, good.length / 2), "truncated");
            assertBad(deserializer, Arrays.copyOf(good, good.length + 3), "bytes left after the record");
            assertBad(deserializer, Arrays.copyOf(good, 5), "truncated");
        }
    }

    private static void assertBad(Deserializer<?> deserializer, byte[] bytes, String expected) {
        assertThatThrownBy(() -> deserializer.deserialize(ALERTS, bytes))
            .isInstanceOf(SerializationException.class)
            .hasMessageContaining(expected)
            .hasMessageContaining(ALERTS)
            .satisfies(e -> assertThat(messages(e)).doesNotContain(Fixtures.PATIENT).doesNotContain("Potassium"));
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void serializationFailuresDoNotQuoteValuesNorSpoilTheNextRecord() {
        Schema schema = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Reading\",\"fields\":["
            + "{\"name\":\"patientKey\",\"type\":\"string\"},{\"name\":\"value\",\"type\":[\"null\",\"double\"]},"
            + "{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"S\",\"symbols\":[\"A\"]}}]}");
        GenericData.EnumSymbol a = new GenericData.EnumSymbol(schema.getField("status").schema(), "A");
        try (Serde<GenericRecord> serde = RegistryAvroSerde.generic(config, false)) {
            Serializer<GenericRecord> serializer = serde.serializer();
            GenericRecord good = new GenericData.Record(schema);
            good.put("patientKey", "p-1");
            good.put("value", 4.2);
            good.put("status", a);
            // after each failed write, the next record on this thread must come out intact
            Runnable goodStillRoundTrips = () ->
                assertThat(serde.deserializer().deserialize("t", serializer.serialize("t", good))).isEqualTo(good);

            GenericRecord inUnion = new GenericData.Record(schema);
            inUnion.put("patientKey", "p-2");
            inUnion.put("value", "SECRET-VALUE-1");
            inUnion.put("status", a);
            assertThatThrownBy(() -> serializer.serialize("t", inUnion)).isInstanceOf(SerializationException.class)
                .satisfies(e -> assertThat(messages(e)).contains("union").doesNotContain("SECRET-VALUE-1"));
            goodStillRoundTrips.run();

            GenericRecord badEnum = new GenericData.Record(schema);
            badEnum.put("patientKey", "p-3");
            badEnum.put("status", "SECRET-VALUE-2");
            assertThatThrownBy(() -> serializer.serialize("t", badEnum)).isInstanceOf(SerializationException.class)
                .satisfies(e -> assertThat(messages(e)).doesNotContain("SECRET-VALUE-2"));
            goodStillRoundTrips.run();

            GenericRecord missing = new GenericData.Record(schema);
            missing.put("status", a);
            assertThatThrownBy(() -> serializer.serialize("t", missing)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("patientKey");
            goodStillRoundTrips.run();

            assertThatThrownBy(() -> ((Serializer) serializer).serialize("t", "a string"))
                .isInstanceOf(SerializationException.class).hasMessageContaining("java.lang.String");
        }
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t).append('\n');
        }
        return all.toString();
    }

    @Test
    void theHotPathNeedsNoRegistryOnceWarm() {
        try (Serde<ClinicalAlert> serde = RegistryAvroSerde.specific(ClinicalAlert.class, config, false)) {
            byte[] first = serde.serializer().serialize(ALERTS, Fixtures.alert());
            serde.deserializer().deserialize(ALERTS, first);
            registry.close();

            ClinicalAlert another = Fixtures.alert("patient-2", 2);
            byte[] bytes = serde.serializer().serialize(ALERTS, another);
            assertThat(serde.deserializer().deserialize(ALERTS, bytes)).isEqualTo(another);
            assertThat(Arrays.copyOf(bytes, 5)).isEqualTo(Arrays.copyOf(first, 5));

            // a new subject does need the registry: its outage is retriable, not a bad record
            assertThatThrownBy(() -> serde.serializer().serialize("other-topic", another))
                .isInstanceOf(TimeoutException.class).hasMessageContaining("other-topic-value");
        }
    }

    @Test
    void withoutAutoRegisterOnlyRegisteredSchemasAreUsed() {
        config.put(RegistryAvroSerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG, false);
        try (Serde<ClinicalAlert> serde = RegistryAvroSerde.specific(ClinicalAlert.class, config, false)) {
            assertThatThrownBy(() -> serde.serializer().serialize(ALERTS, Fixtures.alert()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("cds.alerts-value")
                .hasMessageContaining("40401");
            assertThat(new RestSchemaRegistryClient(registry.url()).subjects()).isEmpty();

            int id = new RestSchemaRegistryClient(registry.url()).register("cds.alerts-value", ClinicalAlert.getClassSchema());
            byte[] bytes = serde.serializer().serialize(ALERTS, Fixtures.alert());
            assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
        }
    }

    @Test
    void kafkaCanCreateItFromClassNames() {
        config.put(RegistryAvroSerdeConfig.SPECIFIC_AVRO_READER_CONFIG, true);
        Serializer<Object> serializer = new RegistryAvroSerializer<>();
        serializer.configure(config, false);
        Deserializer<Object> deserializer = new RegistryAvroDeserializer<>();
        deserializer.configure(config, false);
        byte[] bytes = serializer.serialize(ALERTS, Fixtures.alert());
        assertThat(deserializer.deserialize(ALERTS, bytes)).isInstanceOf(ClinicalAlert.class).isEqualTo(Fixtures.alert());

        Serde<Object> serde = new RegistryAvroSerde<>();
        serde.configure(Map.of(RegistryAvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url()), false);
        assertThat(serde.deserializer().deserialize(ALERTS, bytes)).isInstanceOf(GenericData.Record.class);
        serializer.close();
        deserializer.close();
        serde.close();

        assertThatThrownBy(() -> new RegistryAvroSerde<>().serializer()).isInstanceOf(IllegalStateException.class);
        config.put(RegistryAvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY_CONFIG,
            "io.confluent.kafka.serializers.subject.RecordNameStrategy");
        assertThatThrownBy(() -> RegistryAvroSerde.generic(config, false))
            .isInstanceOf(org.apache.kafka.common.config.ConfigException.class).hasMessageContaining("TopicNameStrategy");
    }

    @Test
    void readsFromByteBuffersWithoutCopying() {
        try (Serde<ClinicalAlert> serde = RegistryAvroSerde.specific(ClinicalAlert.class, config, false)) {
            byte[] bytes = serde.serializer().serialize(ALERTS, Fixtures.alert());
            byte[] padded = new byte[bytes.length + 10];
            System.arraycopy(bytes, 0, padded, 7, bytes.length);
            ByteBuffer slice = ByteBuffer.wrap(padded, 7, bytes.length).slice();
            assertThat(serde.deserializer().deserialize(ALERTS, new RecordHeaders(), slice)).isEqualTo(Fixtures.alert());
            ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
            assertThat(serde.deserializer().deserialize(ALERTS, new RecordHeaders(), direct)).isEqualTo(Fixtures.alert());
        }
    }

    @Test
    void oneInstanceIsSafeAcrossThreads() throws Exception {
        try (Serde<ClinicalAlert> serde = RegistryAvroSerde.specific(ClinicalAlert.class, config, false)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Integer>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    results.add(pool.submit(() -> {
                        for (int i = 0; i < 500; i++) {
                            ClinicalAlert alert = Fixtures.alert("patient-" + thread, i);
                            byte[] bytes = serde.serializer().serialize(ALERTS, alert);
                            assertThat(serde.deserializer().deserialize(ALERTS, bytes)).isEqualTo(alert);
                        }
                        return 500;
                    }));
                }
                for (Future<Integer> result : results) {
                    assertThat(result.get()).isEqualTo(500);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void mockUrlsNeedNoServer() {
        MockSchemaRegistryClient.resetScope("serde-test");
        Map<String, Object> mock = Map.of(RegistryAvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://serde-test");
        try (Serde<ClinicalAlert> serde = RegistryAvroSerde.specific(ClinicalAlert.class, mock, false)) {
            byte[] bytes = serde.serializer().serialize(ALERTS, Fixtures.alert());
            assertThat(serde.deserializer().deserialize(ALERTS, bytes)).isEqualTo(Fixtures.alert());
            assertThat(MockSchemaRegistryClient.forScope("serde-test").latest("cds.alerts-value").id())
                .isEqualTo(ByteBuffer.wrap(bytes, 1, 4).getInt());
        }
    }


    static Schema withExtraField(Schema schema) throws Exception {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(schema.toString());
        ((ArrayNode) json.get("fields")).addObject().put("name", "acuity")
            .putNull("default").putArray("type").add("null").add("double");
        return new Schema.Parser().parse(json.toString());
    }
}
