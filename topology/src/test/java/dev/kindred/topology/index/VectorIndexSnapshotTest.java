package dev.kindred.topology.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.index.PayloadCodec;
import dev.kindred.index.Quantization;
import dev.kindred.index.TestVectors;
import dev.kindred.index.VectorIndex;
import dev.kindred.index.VectorIndexes;
import dev.kindred.index.snapshot.StaleSnapshotException;
import dev.kindred.topology.index.VectorIndexSnapshot.Contents;
import dev.kindred.topology.index.VectorIndexSnapshot.Identity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VectorIndexSnapshotTest {
    static final PayloadCodec<String> STRINGS = new PayloadCodec<>() {
        @Override
        public String formatId() {
            return "utf8";
        }

        @Override
        public byte[] encode(String payload) {
            return payload == null ? null : payload.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes) {
            return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
        }
    };
    private static final Identity IDENTITY = new Identity("store", "vectors", "utf8");
    private static final IndexSpec SPEC = new IndexSpec(DistanceMetric.COSINE, HnswParameters.DEFAULTS);
    private static final Map<TopicPartition, Long> OFFSETS = Map.of(new TopicPartition("vectors", 0), 120L,
            new TopicPartition("vectors", 1), 7L);

    @TempDir
    Path dir;

    private static Map<String, VectorIndex<String>> indexes() {
        TestVectors data = new TestVectors(10, 24, 0.5, 1);
        VectorIndex<String> clinical = VectorIndexes.create("store/clinical", SPEC, 24);
        for (int i = 0; i < 1500; i++) {
            clinical.upsert("k" + i, i, data.next(), i % 3 == 0 ? null : "payload " + i);
        }
        for (int i = 0; i < 1500; i += 7) {
            clinical.delete("k" + i, Long.MAX_VALUE);
        }
        VectorIndex<String> imaging = VectorIndexes.create("store/imaging", SPEC, 8);
        imaging.upsert("k1", 1, new float[] {1, 2, 3, 4, 5, 6, 7, 8}, "x");
        return Map.of("clinical", clinical, "imaging", imaging);
    }

    private Contents<String> read(Path file, Identity identity, IndexSpec spec) throws IOException {
        return VectorIndexSnapshot.read(file, identity, STRINGS, space -> spec, space -> "store/" + space,
                IndexTuning.DEFAULTS);
    }

    @Test
    void aSnapshotRestoresItemsGraphAndOffsets() throws IOException {
        Map<String, VectorIndex<String>> written = indexes();
        Path file = dir.resolve("s");
        long bytes = VectorIndexSnapshot.write(file, IDENTITY, STRINGS, OFFSETS, written);
        assertThat(Files.size(file)).isEqualTo(bytes);
        assertThat(dir.resolve("s.tmp")).doesNotExist();

        Contents<String> read = read(file, IDENTITY, SPEC);
        assertThat(read.offsets()).isEqualTo(OFFSETS);
        assertThat(read.indexes()).containsOnlyKeys("clinical", "imaging");
        for (String space : written.keySet()) {
            VectorIndex<String> before = written.get(space);
            VectorIndex<String> after = read.indexes().get(space);
            assertThat(after.name()).isEqualTo("store/" + space);
            assertThat(after.size()).isEqualTo(before.size());
            assertThat(after.stats().slots()).isEqualTo(before.stats().slots());
            assertThat(after.stats().deleted()).isEqualTo(before.stats().deleted());
            for (IndexedVector<String> item : before.items()) {
                IndexedVector<String> loaded = after.get(item.key()).orElseThrow();
                assertThat(loaded.version()).isEqualTo(item.version());
                assertThat(loaded.payload()).isEqualTo(item.payload());
                assertThat(loaded.vector()).containsExactly(item.vector());
            }
        }
        // the graph itself came back: approximate searches give the very same answers
        TestVectors queries = new TestVectors(10, 24, 0.5, 1);
        for (int q = 0; q < 50; q++) {
            float[] query = queries.next();
            List<String> expected = written.get("clinical").search(query, 10, 32, null).stream().map(Neighbour::key).toList();
            assertThat(read.indexes().get("clinical").search(query, 10, 32, null)).extracting(Neighbour::key)
                    .containsExactlyElementsOf(expected);
        }
        // and it keeps working as an index: tombstoned slots are reused
        VectorIndex<String> clinical = read.indexes().get("clinical");
        int slots = clinical.stats().slots();
        clinical.upsert("new", 1, queries.next(), "n");
        assertThat(clinical.stats().slots()).isEqualTo(slots);
    }

    @Test
    void anyFlippedByteOrTruncationIsDetected() throws IOException {
        Path file = dir.resolve("s");
        VectorIndexSnapshot.write(file, IDENTITY, STRINGS, OFFSETS, indexes());
        byte[] good = Files.readAllBytes(file);
        for (int at : new int[] {0, 5, 40, good.length / 3, good.length / 2, good.length - 9, good.length - 1}) {
            byte[] bad = good.clone();
            bad[at] ^= 0x10;
            Files.write(file, bad);
            assertThatThrownBy(() -> read(file, IDENTITY, SPEC)).as("flipped byte %d", at).isInstanceOf(IOException.class);
        }
        for (int length : new int[] {0, 3, 100, good.length / 2, good.length - 1}) {
            Files.write(file, Arrays.copyOf(good, length));
            assertThatThrownBy(() -> read(file, IDENTITY, SPEC)).as("truncated to %d", length)
                    .isInstanceOf(IOException.class);
        }
        Files.write(file, Arrays.copyOf(good, good.length + 1));
        assertThatThrownBy(() -> read(file, IDENTITY, SPEC)).as("trailing byte").isInstanceOf(IOException.class);
    }

    @Test
    void aSnapshotOfAnotherConfigurationIsStale() throws IOException {
        Path file = dir.resolve("s");
        VectorIndexSnapshot.write(file, IDENTITY, STRINGS, OFFSETS, indexes());
        assertThatThrownBy(() -> read(file, new Identity("other", "vectors", "utf8"), SPEC))
                .isInstanceOf(StaleSnapshotException.class).hasMessageContaining("store");
        assertThatThrownBy(() -> read(file, new Identity("store", "other-topic", "utf8"), SPEC))
                .isInstanceOf(StaleSnapshotException.class).hasMessageContaining("source topic");
        assertThatThrownBy(() -> VectorIndexSnapshot.read(file, IDENTITY, PayloadCodec.none(), space -> SPEC,
                space -> space, IndexTuning.DEFAULTS)).isInstanceOf(StaleSnapshotException.class)
                .hasMessageContaining("payload format");
        assertThatThrownBy(() -> read(file, IDENTITY, new IndexSpec(DistanceMetric.EUCLIDEAN, HnswParameters.DEFAULTS)))
                .isInstanceOf(StaleSnapshotException.class).hasMessageContaining("metric");
        assertThatThrownBy(() -> read(file, IDENTITY, new IndexSpec(DistanceMetric.COSINE, new HnswParameters(8, 200, 64))))
                .isInstanceOf(StaleSnapshotException.class).hasMessageContaining("m of");
        assertThatThrownBy(() -> read(file, IDENTITY, new IndexSpec(DistanceMetric.COSINE, new HnswParameters(16, 100, 64))))
                .isInstanceOf(StaleSnapshotException.class).hasMessageContaining("efConstruction");
        assertThat(read(file, IDENTITY, new IndexSpec(DistanceMetric.COSINE, new HnswParameters(16, 200, 10))))
                .as("the search-time ef does not shape the graph").isNotNull();
    }

    @Test
    void quantizedIndexesComeBackWithTheirQuantizerAndAnswerAlike() throws IOException {
        Map<String, IndexSpec> specs = Map.of(
                "int8", new IndexSpec(DistanceMetric.COSINE, HnswParameters.DEFAULTS, Quantization.int8()),
                "binary", new IndexSpec(DistanceMetric.EUCLIDEAN, HnswParameters.DEFAULTS, Quantization.binary()));
        IndexTuning tuning = IndexTuning.DEFAULTS.withVectorDirectory(dir);
        Map<String, VectorIndex<String>> written = new java.util.TreeMap<>();
        for (Map.Entry<String, IndexSpec> e : specs.entrySet()) {
            VectorIndex<String> index = VectorIndexes.create("store/" + e.getKey(), e.getValue(), 128, tuning);
            TestVectors data = new TestVectors(20, 128, 0.5, 5);
            for (int i = 0; i < 2000; i++) {
                index.upsert("k" + i, 1, data.next(), "p" + i);
            }
            for (int i = 0; i < 2000; i += 9) {
                index.delete("k" + i, 1);
            }
            written.put(e.getKey(), index);
        }
        Path file = dir.resolve("q");
        VectorIndexSnapshot.write(file, IDENTITY, STRINGS, OFFSETS, written);
        Contents<String> read = VectorIndexSnapshot.read(file, IDENTITY, STRINGS, specs::get, space -> "store/" + space,
                tuning);
        for (String space : specs.keySet()) {
            VectorIndex<String> before = written.get(space);
            VectorIndex<String> after = read.indexes().get(space);
            assertThat(after.stats().quantization()).isEqualTo(before.stats().quantization()).doesNotContain("untrained");
            // arrays are sized to the items on load, to their grown capacity before
            assertThat(after.stats().memory().codeBytes()).isPositive()
                    .isLessThanOrEqualTo(before.stats().memory().codeBytes());
            assertThat(after.stats().memory().mappedVectorBytes()).isEqualTo(before.stats().memory().mappedVectorBytes());
            assertThat(after.get("k1").orElseThrow().vector()).containsExactly(before.get("k1").orElseThrow().vector());
            TestVectors queries = new TestVectors(20, 128, 0.5, 6);
            for (int q = 0; q < 30; q++) {
                float[] query = queries.next();
                assertThat(after.search(query, 10, 40, null)).as(space).extracting(Neighbour::key)
                        .containsExactlyElementsOf(before.search(query, 10, 40, null).stream().map(Neighbour::key)
                                .toList());
            }
            before.close();
            after.close();
        }
        assertThatThrownBy(() -> VectorIndexSnapshot.read(file, IDENTITY, STRINGS,
                space -> specs.get(space).withQuantization(Quantization.NONE), space -> space, tuning))
                .isInstanceOf(StaleSnapshotException.class).hasMessageContaining("quantization");
    }
}
