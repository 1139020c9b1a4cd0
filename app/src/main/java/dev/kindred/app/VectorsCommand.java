package dev.kindred.app;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FeatureValue;
import dev.kindred.avro.PatientState;
import dev.kindred.connectors.files.FhirFileReader;
import dev.kindred.connectors.files.FhirFiles;
import dev.kindred.connectors.files.FhirResourceRecord;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.HttpResourceFetcher;
import dev.kindred.fhir.MappingResult;
import dev.kindred.fhir.Rejection;
import dev.kindred.fhir.ResourceFetcher;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.clinical.patient.PatientStateUpdater;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.fhir.RejectionReason;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kindred vectors}: maps FHIR files offline, without Kafka, through the same mapper, patient-state
 * updater and vectorizer as the streams app, and prints one JSON object per patient on stdout. Progress and
 * the count of rejections by reason go to stderr; no patient value is ever logged.
 */
@Command(name = "vectors", mixinStandardHelpOptions = true,
        description = "Map FHIR files offline (no Kafka) and print each patient's features and vectors as JSON"
                + " lines on stdout; progress and rejections by reason on stderr.")
final class VectorsCommand implements Callable<Integer> {

    @Option(names = "--input", paramLabel = "PATH", required = true,
            description = "FHIR files: Bundle JSON (Synthea's output), NDJSON (Bulk Data), directories of them, gzip"
                    + " allowed. Repeatable.")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--catalog", paramLabel = "FILE",
            description = "Feature catalog JSON (default: the catalog shipped with Kindred).")
    Path catalogPath;

    @Option(names = "--fhir-server", paramLabel = "URL",
            description = "FHIR server base URL to fetch what id-only notifications name (default: none, they are"
                    + " rejected id-only-notification).")
    String fhirServer;

    /** Where the JSON lines and the progress go; tests replace them. */
    PrintStream out = System.out;
    PrintStream err = System.err;

    /** What a run produced, for the summary on stderr and for tests. */
    record Summary(long files, long records, long resources, long facts, long patients, long ignored, long context,
            Map<String, Long> skippedByType, Map<String, Long> rejectionsByReason) {
        long rejections() {
            return rejectionsByReason.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private Summary summary;

    Summary summary() {
        return summary;
    }

    @Override
    public Integer call() throws IOException {
        for (Path input : inputs) {
            if (!Files.exists(input)) {
                err.println("kindred vectors: input " + input + " does not exist");
                return 2;
            }
        }
        FeatureCatalog catalog = catalogPath == null ? FeatureCatalog.builtIn() : FeatureCatalog.load(catalogPath);
        ResourceFetcher fetcher = fhirServer == null || fhirServer.isBlank() ? ResourceFetcher.NONE
                : new HttpResourceFetcher(fhirServer, Duration.ofSeconds(10));
        FhirMapper mapper = new FhirMapper(catalog, fetcher);
        PatientStateUpdater updater = new PatientStateUpdater(catalog);
        PatientVectorizer vectorizer = new PatientVectorizer(catalog);

        FhirFileReader reader = new FhirFileReader();
        List<Path> files = new ArrayList<>();
        for (Path input : inputs) {
            files.addAll(reader.inputFiles(input));
        }
        // A resource without a time of its own gets the start of the run as its arrival time.
        Instant arrival = Instant.now();
        Tally tally = new Tally(updater);
        ProgressBar progress = new ProgressBar(err, "mapping files");
        int done = 0;
        for (Path file : files) {
            try {
                if (FhirFiles.isNdjson(file)) {
                    // Bulk Data: one resource per line. Types Kindred does not map are counted without parsing them.
                    try (Stream<FhirResourceRecord> records = reader.stream(file)) {
                        for (FhirResourceRecord record : (Iterable<FhirResourceRecord>) records::iterator) {
                            tally.records++;
                            if (record.resourceType() != null
                                    && !FhirMapper.MAPPED_TYPES.contains(record.resourceType())) {
                                tally.skipped.merge(record.resourceType(), 1L, Long::sum);
                            } else {
                                tally.add(mapper.map(record.json(), arrival));
                            }
                        }
                    }
                } else {
                    // A JSON file is mapped whole, as one Kafka record would be: a Bundle keeps its context (urn:uuid
                    // references, bundled Medications) and a subscription notification is read as one.
                    tally.records++;
                    tally.add(mapper.map(FhirFiles.readAll(file), arrival));
                }
            } catch (IOException | UncheckedIOException e) {
                Throwable cause = e instanceof UncheckedIOException ? e.getCause() : e;
                err.println("kindred vectors: cannot read " + file + ": " + cause.getMessage());
                return 1;
            }
            progress.update(++done, files.size());
        }
        Map<String, PatientState> states = tally.states;
        Map<String, Long> rejections = tally.rejections;
        Map<String, Long> skipped = tally.skipped;
        long recordsRead = tally.records;
        long resources = tally.resources;
        long facts = tally.facts;
        long ignored = tally.ignored;
        long context = tally.context;
        Map<String, Map<String, Long>> kindsByPatient = tally.kindsByPatient;

        ObjectMapper json = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        OutputStream stdout = out;
        for (Map.Entry<String, PatientState> e : states.entrySet()) {
            json.writeValue(stdout, patientJson(e.getValue(), kindsByPatient.get(e.getKey()), catalog, vectorizer));
            out.println();
        }
        out.flush();

        summary = new Summary(files.size(), recordsRead, resources, facts, states.size(), ignored, context, skipped,
                rejections);
        err.printf(Locale.ROOT, "vectors: %,d files, %,d records, %,d resources mapped into %,d facts for %,d patients;"
                + " %,d resources gave no fact; %,d Bundle entries of types Kindred does not map%n", files.size(), recordsRead, resources,
                facts, states.size(), ignored, context);
        if (!skipped.isEmpty()) {
            err.printf(Locale.ROOT, "skipped %,d records of types Kindred does not map: %s%n",
                    skipped.values().stream().mapToLong(Long::longValue).sum(), skipped);
        }
        if (rejections.isEmpty()) {
            err.println("rejections: none");
        } else {
            err.printf(Locale.ROOT, "rejections: %,d%n", summary.rejections());
            rejections.forEach((reason, n) -> err.printf(Locale.ROOT, "  %-26s %,d%n", reason, n));
        }
        err.flush();
        return 0;
    }

    /** Everything a run accumulates: patient states, counts, rejections by reason, skipped types. */
    private static final class Tally {
        final PatientStateUpdater updater;
        final Map<String, PatientState> states = new TreeMap<>();
        final Map<String, Map<String, Long>> kindsByPatient = new TreeMap<>();
        final Map<String, Long> rejections = new TreeMap<>();
        final Map<String, Long> skipped = new TreeMap<>();
        long records;
        long resources;
        long facts;
        long ignored;
        long context;

        Tally(PatientStateUpdater updater) {
            this.updater = updater;
        }

        void add(MappingResult result) {
            resources += result.resources();
            ignored += result.ignored();
            context += result.contextResources();
            for (Rejection r : result.rejections()) {
                if (r.reason() == RejectionReason.UNSUPPORTED_RESOURCE && r.resourceType() != null) {
                    // Offline, a resource of a type Kindred does not map is reported as skipped, not as an error.
                    resources--;
                    skipped.merge(r.resourceType(), 1L, Long::sum);
                } else {
                    rejections.merge(r.reason().code(), 1L, Long::sum);
                }
            }
            for (ClinicalFact fact : result.facts()) {
                facts++;
                String key = fact.getPatientKey();
                states.put(key, updater.apply(states.get(key), fact).state());
                kindsByPatient.computeIfAbsent(key, k -> new TreeMap<>()).merge(fact.getKind().name(), 1L, Long::sum);
            }
        }
    }


    private static Map<String, Object> patientJson(PatientState state, Map<String, Long> kinds, FeatureCatalog catalog,
            PatientVectorizer vectorizer) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("patient", state.getPatientKey());
        out.put("catalogVersion", catalog.version());
        out.put("vectors", vectorizer.vectors(state));
        List<Map<String, Object>> features = new ArrayList<>();
        for (String space : catalog.spaces()) {
            for (String id : catalog.dimensions(space)) {
                FeatureValue v = state.getFeatures().get(id);
                if (v == null) {
                    continue;
                }
                Map<String, Object> f = new java.util.LinkedHashMap<>();
                f.put("feature", id);
                f.put("space", space);
                f.put("loinc", v.getCode());
                f.put("value", v.getValue());
                f.put("unit", v.getUnit());
                f.put("normalized", vectorizer.component(id, v.getValue()));
                f.put("effectiveTime", v.getEffectiveTime().toString());
                if (v.getSourceResourceId() != null) {
                    f.put("source", "Observation/" + v.getSourceResourceId());
                }
                features.add(f);
            }
        }
        out.put("features", features);
        out.put("facts", kinds == null ? Map.of() : kinds);
        return out;
    }

}
