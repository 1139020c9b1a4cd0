package dev.kindred.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kindred.avro.PatientVector;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.VectorIndex;
import dev.kindred.topology.KindredConfig;
import dev.kindred.topology.KindredService;
import dev.kindred.topology.KindredTopics;
import dev.kindred.topology.KindredTopology;
import dev.kindred.topology.index.VectorIndexStore;
import dev.kindred.topology.index.VectorIndexStoreType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index store's durability on a real broker: after a restart from its snapshot (with records added while
 * it was down), after a restart with the state directory wiped, and after a restart with a corrupt snapshot,
 * the index holds exactly the items, versions, vectors and payloads that a fresh replay of the
 * patient-vectors topic gives, and that the topic's records say it should.
 */
class IndexRestartIT {
    private static final List<String> SPACES = List.of("clinical", "imaging");

    @TempDir
    Path tmp;

    /** What the index should hold: space -> key -> item, following the update processor's rules. */
    private final Map<String, Map<String, Item>> expected = new TreeMap<>();
    private final Random random = new Random(11);
    private final Map<String, Long> versions = new HashMap<>();

    record Item(long version, List<Float> vector, List<TreatmentOutcome> payload) {
    }

    @Test
    void restartsFromASnapshotOrAWipedStateDirectoryEndWithTheContentsOfAFreshReplay() throws Exception {
        Path dataDir = tmp.resolve("data");
        try (DemoCommand.DevStack stack = DemoCommand.DevStack.start(dataDir, 0, 0, 5)) {
            Map<String, Object> settings = new HashMap<>(DemoCommand.DevStack.settings(dataDir, stack.broker,
                    stack.registry, 5));
            // Kafka Streams does not leave its group on close: a restart with the same application id waits for
            // the old member's session to time out, so keep that short (the broker's minimum is 6 s).
            settings.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
            settings.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 2000);
            settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred-restart-it");
            stack.service.close(); // the dev stack's own app (default session timeout) is not needed
            KindredTopics topics = new KindredTopics(new KindredConfig(Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, stack.registry.url())));
            Path snapshot = dataDir.resolve("streams").resolve("kindred-restart-it").resolve("global")
                    .resolve(KindredTopology.INDEX_STORE + ".kindred-index");
            try (KafkaProducer<String, PatientVector> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), topics.vectors().valueSerde().serializer())) {

                // 1. the running app indexes a first batch, then stops (writing its snapshot)
                KindredService first = KindredService.start(settings, Duration.ofMinutes(2));
                produce(producer, 0, 400, 600);
                awaitContents(first);
                first.close();
                assertThat(snapshot).as("snapshot written on close").exists();

                // 2. more records arrive while it is down; a restart loads the snapshot and replays only those
                int tail = produce(producer, 300, 500, 120);
                try (KindredService restarted = KindredService.start(settings, Duration.ofMinutes(2))) {
                    VectorIndexStore<List<TreatmentOutcome>> store = store(restarted);
                    assertThat(store.snapshotStatus().loaded()).as(store.snapshotStatus().detail()).isTrue();
                    assertThat(store.snapshotStatus().offsets()).isNotEmpty();
                    awaitContents(restarted);
                    // each record writes at most two spaces
                    assertThat(store.updates()).as("only the tail was replayed").isPositive()
                            .isLessThanOrEqualTo(2L * tail);
                }

                // 3. the state directory is wiped: a full replay
                deleteTree(dataDir.resolve("streams"));
                Map<String, Map<String, Item>> rebuilt;
                try (KindredService wiped = KindredService.start(settings, Duration.ofMinutes(2))) {
                    VectorIndexStore<List<TreatmentOutcome>> store = store(wiped);
                    assertThat(store.snapshotStatus().loaded()).isFalse();
                    rebuilt = awaitContents(wiped);
                    assertThat(store.updates()).isGreaterThan(2L * tail);
                }

                // 4. a corrupt snapshot is not trusted: a full replay again
                byte[] bytes = Files.readAllBytes(snapshot);
                bytes[bytes.length / 2] ^= 0x5a;
                Files.write(snapshot, bytes);
                try (KindredService corrupt = KindredService.start(settings, Duration.ofMinutes(2))) {
                    VectorIndexStore<List<TreatmentOutcome>> store = store(corrupt);
                    assertThat(store.snapshotStatus().loaded()).isFalse();
                    assertThat(store.snapshotStatus().detail()).contains("unreadable");
                    awaitContents(corrupt);
                }

                // 5. a fresh replay by an application with its own state gives the same contents
                Map<String, Object> fresh = new HashMap<>(settings);
                fresh.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred-fresh-replay");
                fresh.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("fresh-state").toString());
                try (KindredService replay = KindredService.start(fresh, Duration.ofMinutes(2))) {
                    assertThat(awaitContents(replay)).isEqualTo(rebuilt);
                }
            }
        }
    }

    /**
     * Sends {@code count} records for keys drawn from {@code [from, to)}: mostly new versions with new vectors
     * (sometimes without the imaging space), some tombstones, and now and then a stale, older version that must
     * be ignored. Returns how many records it sent.
     */
    private int produce(KafkaProducer<String, PatientVector> producer, int from, int to, int count) throws Exception {
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = "patient-" + (from + random.nextInt(to - from));
            int roll = random.nextInt(20);
            if (roll == 0 && versions.containsKey(key)) {
                sent.add(producer.send(new ProducerRecord<>("cds.patient-vectors", key, null)));
                expected.values().forEach(items -> items.remove(key));
                versions.remove(key); // a tombstone forgets the key: what follows is taken as it comes
                continue;
            }
            long current = versions.getOrDefault(key, 0L);
            boolean stale = roll == 1 && current > 1;
            long version = stale ? current - 1 : current + 1 + random.nextInt(3);
            Map<String, List<Float>> vectors = new TreeMap<>();
            vectors.put("clinical", vector(6));
            if (random.nextInt(3) > 0) {
                vectors.put("imaging", vector(10));
            }
            List<TreatmentOutcome> outcomes = random.nextBoolean() ? List.of() : List.of(TreatmentOutcome.newBuilder()
                    .setCode("rx-" + random.nextInt(100)).setSystem("http://www.nlm.nih.gov/research/umls/rxnorm")
                    .setStartedAt(Instant.ofEpochMilli(1_700_000_000_000L + version)).build());
            PatientVector record = PatientVector.newBuilder().setPatientKey(key).setVersion(version)
                    .setVectors(vectors).setCatalogVersion("test").setEffectiveTime(Instant.ofEpochMilli(version))
                    .setOutcomes(outcomes).build();
            sent.add(producer.send(new ProducerRecord<>("cds.patient-vectors", key, record)));
            if (!stale) {
                versions.put(key, version);
                for (String space : SPACES) {
                    Map<String, Item> items = expected.computeIfAbsent(space, s -> new TreeMap<>());
                    if (vectors.containsKey(space)) {
                        items.put(key, new Item(version, vectors.get(space), outcomes));
                    } else {
                        items.remove(key);
                    }
                }
            }
        }
        for (java.util.concurrent.Future<?> f : sent) {
            f.get();
        }
        return count;
    }

    private List<Float> vector(int dims) {
        List<Float> v = new ArrayList<>(dims);
        for (int d = 0; d < dims; d++) {
            v.add((float) random.nextGaussian());
        }
        return v;
    }

    private static VectorIndexStore<List<TreatmentOutcome>> store(KindredService service) {
        return service.streams().store(StoreQueryParameters.fromNameAndType(KindredTopology.INDEX_STORE,
                new VectorIndexStoreType<List<TreatmentOutcome>>()));
    }

    private Map<String, Map<String, Item>> awaitContents(KindredService service) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(contents(service)).isEqualTo(expected));
        return contents(service);
    }

    private static Map<String, Map<String, Item>> contents(KindredService service) {
        Map<String, Map<String, Item>> contents = new TreeMap<>();
        for (String space : SPACES) {
            Map<String, Item> items = new TreeMap<>();
            VectorIndex<List<TreatmentOutcome>> index = service.index(space).orElse(null);
            if (index != null) {
                for (IndexedVector<List<TreatmentOutcome>> item : index.items()) {
                    List<Float> vector = new ArrayList<>(item.vector().length);
                    for (float f : item.vector()) {
                        vector.add(f);
                    }
                    items.put(item.key(), new Item(item.version(), vector, item.payload()));
                }
            }
            contents.put(space, items);
        }
        return contents;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
