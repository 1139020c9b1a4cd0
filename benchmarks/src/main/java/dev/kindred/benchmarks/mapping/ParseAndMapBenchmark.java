package dev.kindred.benchmarks.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.FhirParsing;
import dev.kindred.fhir.MappingResult;
import dev.kindred.fhir.catalog.FeatureCatalog;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.Resource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Parse-and-map throughput of one FHIR resource per operation (what the streams app does per input record:
 * HAPI parse, patient reference, catalog lookup, unit conversion, fact), beside a plain Jackson tree parse and
 * HAPI's parse alone of the very same bytes, in the same run. One benchmark thread; the JVM is told it has one
 * processor ({@code -XX:ActiveProcessorCount=1}); pin it to one core with {@code taskset -c 1} for the numbers in
 * the README. Operations per second are resources per second; compare the ratio, not the absolute numbers.
 *
 * <p>Corpus: {@code -p corpus=generated} (default; 20,000 seeded Synthea-shaped resources) or
 * {@code -p corpus=<dir>} with FHIR files (e.g. {@code app/target/synthea-cache/…/fhir}), of which the first
 * 20,000 resources of mapped types are used.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-XX:ActiveProcessorCount=1", "-Xmx1g", "-Xms1g"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class ParseAndMapBenchmark {
    private static final Instant ARRIVAL = Instant.parse("2025-01-01T00:00:00Z");

    @Param({"generated"})
    public String corpus;

    private List<byte[]> resources;
    private FhirMapper mapper;
    private ObjectMapper jackson;
    private int next;

    @Setup(Level.Trial)
    public void load() {
        // The benchmarks jar has no logging configuration: keep HAPI's start-up chatter (DEBUG) out of the run.
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        resources = "generated".equals(corpus) ? FhirCorpus.generated(20_000, 42)
                : FhirCorpus.fromFiles(Path.of(corpus), 20_000);
        mapper = new FhirMapper(FeatureCatalog.builtIn());
        jackson = new ObjectMapper();
        // The first HAPI parse builds the FHIR context (about a second): not part of the measurement.
        FhirParsing.parse(resources.get(0));
        long facts = 0;
        long rejected = 0;
        for (byte[] r : resources) {
            MappingResult result = mapper.map(r, ARRIVAL);
            facts += result.facts().size();
            rejected += result.rejections().size();
        }
        long bytes = resources.stream().mapToLong(b -> b.length).sum();
        System.out.printf("%ncorpus %s: %,d resources, mean %,d bytes, %,d facts, %,d rejected%n", corpus,
                resources.size(), bytes / resources.size(), facts, rejected);
    }

    private byte[] nextResource() {
        byte[] r = resources.get(next);
        next = next + 1 == resources.size() ? 0 : next + 1;
        return r;
    }

    /** The baseline: a plain Jackson tree parse of the same bytes. */
    @Benchmark
    public JsonNode jacksonTree() throws IOException {
        return jackson.readTree(nextResource());
    }

    /** HAPI's strict R4 parse alone, without mapping. */
    @Benchmark
    public Resource hapiParse() {
        return FhirParsing.parse(nextResource());
    }

    /** What the streams app does per record: parse with HAPI and map to facts. */
    @Benchmark
    public void parseAndMap(Blackhole blackhole) {
        blackhole.consume(mapper.map(nextResource(), ARRIVAL));
    }
}
