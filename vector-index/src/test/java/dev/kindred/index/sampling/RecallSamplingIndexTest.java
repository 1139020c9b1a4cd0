package dev.kindred.index.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.index.TestVectors;
import dev.kindred.index.VectorIndex;
import dev.kindred.index.VectorIndexes;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RecallSamplingIndexTest {
    private final ThreadPoolExecutor sampler = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(1), r -> new Thread(r, "test-sampler"), new ThreadPoolExecutor.AbortPolicy());

    @AfterEach
    void stop() {
        sampler.shutdownNow();
    }

    private static VectorIndex<String> filled(int n) {
        VectorIndex<String> index = VectorIndexes.create("s", new IndexSpec(DistanceMetric.EUCLIDEAN,
                HnswParameters.DEFAULTS), 16, IndexTuning.DEFAULTS.withRecallSampleEvery(0));
        TestVectors data = new TestVectors(10, 16, 0.6, 13);
        for (int i = 0; i < n; i++) {
            index.upsert("k" + i, 1, data.next(), null);
        }
        return index;
    }

    /** An index whose exact search records its thread and can be held until released. */
    private static final class Probe extends dev.kindred.index.ForwardingVectorIndex<String> {
        final Set<String> exactThreads = ConcurrentHashMap.newKeySet();
        final CountDownLatch release;

        Probe(VectorIndex<String> delegate, CountDownLatch release) {
            super(delegate);
            this.release = release;
        }

        @Override
        public List<Neighbour<String>> exactSearch(float[] query, int k, Predicate<IndexedVector<String>> filter) {
            exactThreads.add(Thread.currentThread().getName());
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.exactSearch(query, k, filter);
        }
    }

    @Test
    void samplesRunOnTheSamplerAndMeasureRecall() {
        Probe probe = new Probe(filled(1000), new CountDownLatch(0));
        RecallSamplingIndex<String> index = new RecallSamplingIndex<>(probe, 2, sampler);
        assertThat(index.stats().sampledRecall()).isNaN();
        TestVectors queries = new TestVectors(10, 16, 0.6, 99);
        for (int q = 0; q < 20; q++) {
            index.search(queries.next(), 10, null);
            // wait for the sampler to be idle so that no sample is dropped: this test is about where they run
            await().atMost(Duration.ofSeconds(10)).until(() -> sampler.getActiveCount() == 0 && sampler.getQueue().isEmpty());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> index.stats().recallSamples() == 10);
        assertThat(probe.exactThreads).containsExactly("test-sampler");
        assertThat(index.stats().sampledRecall()).isBetween(0.9, 1.0);
        assertThat(index.stats().recallSamplesDropped()).isZero();
        assertThat(index.stats().size()).as("the rest of the stats come from the index").isEqualTo(1000);
    }

    @Test
    void whenTheSamplerIsSaturatedSamplesAreDroppedAndSearchesNeverWait() {
        CountDownLatch release = new CountDownLatch(1);
        Probe probe = new Probe(filled(200), release);
        RecallSamplingIndex<String> index = new RecallSamplingIndex<>(probe, 1, sampler);
        TestVectors queries = new TestVectors(10, 16, 0.6, 98);
        // the first sample occupies the sampler's only thread (held by the latch), the second fills its queue
        index.search(queries.next(), 5, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> sampler.getActiveCount() == 1);
        index.search(queries.next(), 5, null);
        // every further search returns (the test's time-out guards against a wait) and drops its sample
        for (int q = 0; q < 100; q++) {
            assertThat(index.search(queries.next(), 5, null)).hasSize(5);
        }
        assertThat(index.stats().recallSamplesDropped()).isEqualTo(100);
        assertThat(index.stats().recallSamples()).isZero();
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> index.stats().recallSamples() == 2);
    }

    @Test
    void theFactorySamplesAsTheTuningSays() {
        VectorIndex<String> sampled = VectorIndexes.create("s", new IndexSpec(DistanceMetric.EUCLIDEAN,
                HnswParameters.DEFAULTS), 4, IndexTuning.DEFAULTS.withRecallSampleEvery(10));
        assertThat(sampled).isInstanceOf(RecallSamplingIndex.class);
        VectorIndex<String> plain = VectorIndexes.create("s", new IndexSpec(DistanceMetric.EUCLIDEAN,
                HnswParameters.DEFAULTS), 4, IndexTuning.DEFAULTS.withRecallSampleEvery(0));
        assertThat(plain).isNotInstanceOf(RecallSamplingIndex.class);
    }
}
