package dev.kindred.topology.index;

import dev.kindred.index.IndexStats;
import dev.kindred.index.VectorIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.function.ToDoubleFunction;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.MeasurableStat;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.streams.StreamsMetrics;

/**
 * Registers an index store's metrics with Kafka Streams, so they appear in {@code KafkaStreams.metrics()} and
 * over JMX like the built-in ones: gauges read from {@link IndexStats} when sampled ({@code size},
 * {@code deleted-fraction}, {@code memory-bytes} and its parts {@code memory-vector-bytes},
 * {@code memory-code-bytes}, {@code memory-graph-bytes}, {@code memory-mapped-vector-bytes} (off-heap),
 * {@code recall-sampled}, {@code recall-samples-dropped}, {@code compactions-total}), and a search sensor fed
 * by every approximate search ({@code search-latency-avg}/{@code -max} in ns, {@code search-rate},
 * {@code search-total}).
 */
final class IndexMetrics implements AutoCloseable {
    static final String GROUP = "kindred-index-metrics";

    private final StreamsMetrics metrics;
    private final String store;
    private final List<Sensor> sensors = new ArrayList<>();

    IndexMetrics(StreamsMetrics metrics, String store) {
        this.metrics = metrics;
        this.store = store;
    }

    /** Registers a space's metrics; returns what records a search's latency in nanoseconds. */
    synchronized LongConsumer register(String space, VectorIndex<?> index) {
        Map<String, String> tags = Map.of("store", store, "space", space);
        String prefix = "kindred-index." + store + "." + space;
        Sensor state = metrics.addSensor(prefix + ".state", Sensor.RecordingLevel.INFO);
        gauge(state, "size", "Live items in the index", tags, index, IndexStats::size);
        gauge(state, "deleted-fraction", "Fraction of graph slots holding tombstones", tags, index,
                IndexStats::deletedFraction);
        gauge(state, "memory-bytes", "Estimated heap bytes of vectors, codes, graph and keys (payloads excluded)",
                tags, index, IndexStats::estimatedBytes);
        gauge(state, "memory-vector-bytes", "Heap bytes of float vectors (0 when quantized)", tags, index,
                s -> s.memory().vectorBytes());
        gauge(state, "memory-code-bytes", "Heap bytes of quantized codes", tags, index, s -> s.memory().codeBytes());
        gauge(state, "memory-graph-bytes", "Heap bytes of graph links and tombstones", tags, index,
                s -> s.memory().graphBytes());
        gauge(state, "memory-mapped-vector-bytes", "Bytes of float vectors in a memory-mapped file (off the heap)",
                tags, index, s -> s.memory().mappedVectorBytes());
        gauge(state, "recall-sampled", "Recall@k of sampled searches against exact search (NaN before any)", tags,
                index, IndexStats::sampledRecall);
        gauge(state, "recall-samples-dropped", "Recall samples skipped because the sampler was busy", tags, index,
                IndexStats::recallSamplesDropped);
        gauge(state, "compactions-total", "Completed compactions", tags, index, IndexStats::compactions);
        sensors.add(state);

        Sensor search = metrics.addSensor(prefix + ".search", Sensor.RecordingLevel.INFO);
        search.add(new MetricName("search-latency-avg", GROUP, "Mean approximate search latency in ns", tags),
                new Avg());
        search.add(new MetricName("search-latency-max", GROUP, "Max approximate search latency in ns", tags),
                new Max());
        search.add(new MetricName("search-rate", GROUP, "Approximate searches per second", tags), new Rate());
        search.add(new MetricName("search-total", GROUP, "Approximate searches", tags), new CumulativeCount());
        sensors.add(search);
        return search::record;
    }

    private static void gauge(Sensor sensor, String name, String description, Map<String, String> tags,
            VectorIndex<?> index, ToDoubleFunction<IndexStats> value) {
        sensor.add(new MetricName(name, GROUP, description, tags), new MeasurableStat() {
            @Override
            public void record(MetricConfig config, double v, long timeMs) {
                // a gauge: nothing is recorded, the value is read when sampled
            }

            @Override
            public double measure(MetricConfig config, long now) {
                return value.applyAsDouble(index.stats());
            }
        });
    }

    @Override
    public synchronized void close() {
        sensors.forEach(metrics::removeSensor);
        sensors.clear();
    }
}
