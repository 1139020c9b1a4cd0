package dev.kindred.benchmarks.mapping;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.FhirParsing;
import dev.kindred.fhir.catalog.FeatureCatalog;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The parse-and-map benchmark for a shared, busy machine: the three measurements (Jackson tree parse, HAPI
 * parse, parse and map) run in short alternating slices, so that load from other processes falls on all of them
 * alike, and the ratio is taken per round (median over rounds). One thread; run it under {@code taskset -c 1}
 * with {@code -XX:ActiveProcessorCount=1} for "one core". {@link ParseAndMapBenchmark} measures the same with JMH
 * on a quiet machine.
 *
 * <pre>
 * taskset -c 1 java -XX:ActiveProcessorCount=1 -Xmx1g -cp benchmarks/target/benchmarks.jar \
 *     dev.kindred.benchmarks.mapping.InterleavedParseAndMap [generated|DIR] [rounds]
 * </pre>
 */
public final class InterleavedParseAndMap {
    private static final Instant ARRIVAL = Instant.parse("2025-01-01T00:00:00Z");
    private static final long SLICE_NANOS = 300_000_000L;

    private InterleavedParseAndMap() {
    }

    private interface Work {
        Object run(byte[] json) throws IOException;
    }

    public static void main(String[] args) throws IOException {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        String corpus = args.length > 0 ? args[0] : "generated";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        List<byte[]> resources = "generated".equals(corpus) ? FhirCorpus.generated(20_000, 42)
                : FhirCorpus.fromFiles(Path.of(corpus), 20_000);
        FhirMapper mapper = new FhirMapper(FeatureCatalog.builtIn());
        ObjectMapper jackson = new ObjectMapper();
        String[] names = {"jacksonTree", "hapiParse", "parseAndMap"};
        Work[] work = {jackson::readTree, FhirParsing::parse, json -> mapper.map(json, ARRIVAL)};

        long bytes = resources.stream().mapToLong(b -> b.length).sum();
        System.out.printf(Locale.ROOT, "corpus %s: %,d resources, mean %,d bytes; JDK %s, %d processor(s)%n", corpus,
                resources.size(), bytes / resources.size(), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        int[] cursor = new int[1];
        // Warm-up: 20 s of each, interleaved, discarded.
        for (int i = 0; i < 20; i++) {
            for (Work w : work) {
                slice(w, resources, cursor, 1_000_000_000L);
            }
        }
        double[][] rates = new double[3][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 3; k++) {
                int which = (k + r) % 3; // rotate the order so no measurement always follows the same one
                rates[which][r] = slice(work[which], resources, cursor, SLICE_NANOS);
            }
        }
        double[] ratios = new double[rounds];
        double[] parseRatios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            ratios[r] = rates[0][r] / rates[2][r];
            parseRatios[r] = rates[0][r] / rates[1][r];
        }
        for (int k = 0; k < 3; k++) {
            System.out.printf(Locale.ROOT, "%-12s median %,9.0f resources/s  (p10 %,9.0f, p90 %,9.0f)%n", names[k],
                    percentile(rates[k], 50), percentile(rates[k], 10), percentile(rates[k], 90));
        }
        System.out.printf(Locale.ROOT, "Jackson tree / parse-and-map: median ratio %.2f (p10 %.2f, p90 %.2f) over %d"
                + " rounds%n", percentile(ratios, 50), percentile(ratios, 10), percentile(ratios, 90), rounds);
        System.out.printf(Locale.ROOT, "Jackson tree / HAPI parse:    median ratio %.2f (p10 %.2f, p90 %.2f)%n",
                percentile(parseRatios, 50), percentile(parseRatios, 10), percentile(parseRatios, 90));
    }

    /** Runs {@code work} over the corpus for about {@code nanos}; returns resources per second. */
    private static double slice(Work work, List<byte[]> resources, int[] cursor, long nanos) throws IOException {
        long start = System.nanoTime();
        long end = start + nanos;
        long n = 0;
        long sink = 0;
        long now;
        do {
            for (int i = 0; i < 64; i++) {
                Object o = work.run(resources.get(cursor[0]));
                sink += o == null ? 0 : 1;
                cursor[0] = cursor[0] + 1 == resources.size() ? 0 : cursor[0] + 1;
            }
            n += 64;
            now = System.nanoTime();
        } while (now < end);
        if (sink != n) {
            throw new IllegalStateException("a measurement returned nothing");
        }
        return n * 1e9 / (now - start);
    }

    private static double percentile(double[] values, int p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int index = (int) Math.round((p / 100.0) * (sorted.length - 1));
        return sorted[index];
    }
}
