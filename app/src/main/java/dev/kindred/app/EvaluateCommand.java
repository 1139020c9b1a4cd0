package dev.kindred.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.connectors.files.FhirFileReader;
import dev.kindred.connectors.files.FhirResourceRecord;
import dev.kindred.connectors.synthea.SyntheaFeed;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.MappingResult;
import dev.kindred.fhir.Rejection;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.index.DistanceMetric;
import dev.kindred.clinical.evaluation.Evaluation;
import dev.kindred.clinical.evaluation.EvaluationReport;
import dev.kindred.clinical.evaluation.EvaluationSettings;
import dev.kindred.clinical.evaluation.ResponseCases;
import dev.kindred.clinical.recommend.ResponseMetric;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.clinical.patient.VectorWeights;
import dev.kindred.clinical.pipeline.PipelineSettings;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.recommend.Recommender;
import dev.kindred.clinical.recommend.ResponseEstimator;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kindred evaluate}: the quality of the similar-patient search and of the recommendations on a FHIR
 * dataset, with a time split, in-process (no Kafka). Maps the files with the same mapper as the stream, then
 * runs {@link Evaluation} and prints one JSON object on stdout.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Measure neighbour quality and outcome prediction on FHIR files with a time split; prints JSON.")
final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--input", paramLabel = "PATH",
            description = "FHIR files: Bundle JSON (Synthea's output), NDJSON, directories of them, gzip allowed. Repeatable.")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--patients", defaultValue = "0",
            description = "Without --input: generate this many Synthea patients (cached under --data-dir).")
    int patients;

    @Option(names = "--seed", defaultValue = "42", description = "Synthea seed with --patients (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--data-dir", defaultValue = "kindred-data", description = "Where generated patients are cached (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--k", defaultValue = "10", description = "Neighbours per patient (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--cutoff", paramLabel = "DATE",
            description = "Split time (yyyy-MM-dd or an ISO instant); default: leaves a fifth of the recorded events after it.")
    String cutoff;

    @Option(names = "--metric", defaultValue = "euclidean", description = "euclidean, cosine or inner_product (default ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--min-support", defaultValue = "3",
            description = "Least neighbours with a known outcome for a recommendation (default ${DEFAULT-VALUE}).")
    int minSupport;

    @Option(names = "--suppression-days", defaultValue = "30", description = "Alert suppression window (default ${DEFAULT-VALUE}).")
    int suppressionDays;

    @Option(names = "--min-disorder-patients", defaultValue = "15",
            description = "Disorders judged: active after the cutoff in at least this many patients (default ${DEFAULT-VALUE}).")
    int minDisorderPatients;

    @Option(names = "--weights", paramLabel = "BLOCK=W,...",
            description = "Override vector block weights for experiments: age, ageBand, sex, latest, level, abnormal,"
                    + " abnormalShare, measured, count, trend, finding, imaging (numbers); catalogWeightsOnPresence, unitLength (0 or 1).")
    String weights;

    @Option(names = "--no-baselines", description = "Skip the naive-vector baselines.")
    boolean noBaselines;

    @Option(names = "--modules", paramLabel = "DIR|builtin-response",
            description = "With --patients: extra Synthea modules (a directory of module JSON, or builtin-response for"
                    + " Kindred's heterogeneous-response modules); turns on the treatment-response report.")
    String modules;

    @Option(names = "--response", description = "Report treatment response per treatment (on by default with --modules).")
    boolean response;

    @Option(names = "--response-neighbours", defaultValue = "15",
            description = "Treated neighbours per response estimate (default ${DEFAULT-VALUE}).")
    int responseNeighbours;

    @Option(names = "--prior-strength", defaultValue = "2.0",
            description = "Weight, in effective neighbours, of the population rate in the response estimate (default ${DEFAULT-VALUE}).")
    double priorStrength;

    @Option(names = "--min-effective-size", defaultValue = "3.0",
            description = "Least effective number of treated neighbours for them to count (default ${DEFAULT-VALUE}).")
    double minEffectiveSize;

    @Option(names = "--bootstrap", defaultValue = "2000", description = "Bootstrap resamples of the response intervals (default ${DEFAULT-VALUE}).")
    int bootstrap;

    @Option(names = "--response-vectors", defaultValue = "course-start", paramLabel = "course-start|cutoff",
            description = "Compare patients as they were when each course started (default) or everyone at the cutoff.")
    String responseVectors;

    @Option(names = "--weight-candidate", paramLabel = "NAME:BLOCK=W,...",
            description = "A vector design to score too (block overrides of the default, as --weights); repeatable: the weight search.")
    List<String> weightCandidates = new ArrayList<>();

    @Option(names = "--response-metric", paramLabel = "FILE",
            description = "Learned per-treatment weights (kindred learn-metric) to choose the treated neighbours with;"
                    + " the report then gives the estimate under them (and the design as it is among the trials).")
    Path responseMetric;

    @Option(names = "--response-cases-out", paramLabel = "FILE",
            description = "Write every judged course with the patient's vector at its start, not scaled to unit length"
                    + " (the input of kindred learn-metric). For development populations only: what is learned from them"
                    + " must be reported on others.")
    Path responseCasesOut;

    @Option(names = "--catalog", paramLabel = "FILE", description = "Feature catalog JSON (default: built in).")
    Path catalogPath;

    @Option(names = "--rules", paramLabel = "FILE", description = "Outcome rules JSON (default: built in).")
    Path rulesPath;

    @Override
    public Integer call() throws Exception {
        PrintStream err = System.err;
        if (!"course-start".equals(responseVectors) && !"cutoff".equals(responseVectors)) {
            err.println("kindred evaluate: --response-vectors must be course-start or cutoff, not " + responseVectors);
            return 2;
        }
        if (responseMetric != null && !Files.isRegularFile(responseMetric)) {
            err.println("kindred evaluate: --response-metric " + responseMetric + " is not a file");
            return 2;
        }
        List<Path> sources = new ArrayList<>(inputs);
        if (sources.isEmpty()) {
            if (patients < 1) {
                err.println("kindred evaluate: pass --input PATH or --patients N");
                return 2;
            }
            if (!SyntheaFeed.available()) {
                err.println("kindred evaluate: Synthea is not in this build (the production distribution leaves it out); pass --input PATH");
                return 2;
            }
            Path modulesDir = null;
            if (modules != null) {
                modulesDir = modules.equals("builtin-response") ? SyntheaFeed.responseModules() : Path.of(modules);
                if (!Files.isDirectory(modulesDir)) {
                    err.println("kindred evaluate: --modules " + modules + " is not a directory (or builtin-response)");
                    return 2;
                }
            }
            err.printf("generating %d Synthea patients (seed %d)%s...%n", patients, seed,
                    modulesDir == null ? "" : " with the modules of " + modulesDir);
            sources.add(modulesDir == null ? SyntheaFeed.generate(patients, seed, dataDir.resolve("synthea"))
                    : SyntheaFeed.generate(patients, seed, SyntheaFeed.DEFAULT_REFERENCE_TIME, dataDir.resolve("synthea"),
                            modulesDir));
        }
        for (Path p : sources) {
            if (!Files.exists(p)) {
                err.println("kindred evaluate: input " + p + " does not exist");
                return 2;
            }
        }
        FeatureCatalog catalog = catalogPath == null ? FeatureCatalog.builtIn() : FeatureCatalog.load(catalogPath);
        OutcomeRules rules = rulesPath == null ? OutcomeRules.builtIn() : OutcomeRules.load(rulesPath);

        long t0 = System.nanoTime();
        Map<String, Long> rejections = new TreeMap<>();
        Map<String, List<ClinicalFact>> facts = readFacts(sources, catalog, rejections);
        err.printf("mapped %,d facts of %,d patients in %.0f s%n", facts.values().stream().mapToLong(List::size).sum(),
                facts.size(), (System.nanoTime() - t0) / 1e9);

        PipelineSettings pipeline = PipelineSettings.builder()
                .alertNeighbours(k)
                .metric(DistanceMetric.valueOf(metric.toUpperCase(Locale.ROOT)))
                .weights(weights == null ? VectorWeights.DEFAULT : parseWeights(weights))
                .recommend(new Recommender.Settings(minSupport, Recommender.Settings.DEFAULT.maxRecommendations()))
                .suppressionWindow(Duration.ofDays(suppressionDays))
                .build();
        ResponseMetric metric = null;
        if (responseMetric != null) {
            try {
                metric = ResponseMetric.load(responseMetric);
                Evaluation.requireMetricDesign(metric, pipeline.weights());
                PatientVectorizer design = new PatientVectorizer(catalog, Evaluation.metricWeights(pipeline.weights()));
                for (String treatment : metric.treatments()) {
                    metric.projector(treatment, design.dimensions(design.clinicalSpace()));
                }
            } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
                err.println("kindred evaluate: --response-metric: " + e.getMessage());
                return 2;
            }
        }
        EvaluationSettings settings = EvaluationSettings.builder()
                .pipeline(pipeline)
                .cutoff(cutoff == null ? null : parseCutoff(cutoff))
                .minDisorderPatients(minDisorderPatients)
                .seed(seed)
                .baselines(!noBaselines)
                .response(response || modules != null
                        ? new ResponseEstimator.Settings(responseNeighbours, priorStrength, minEffectiveSize) : null)
                .bootstrapResamples(bootstrap)
                .weightCandidates(parseCandidates(weightCandidates))
                .responseAtCourseStart(!"cutoff".equals(responseVectors))
                .responseMetric(metric)
                .build();
        if (responseMetric != null && settings.response() == null) {
            err.println("kindred evaluate: --response-metric needs the response report (--response or --modules)");
            return 2;
        }
        if (responseMetric != null && "cutoff".equals(responseVectors)) {
            err.println("kindred evaluate: --response-metric compares patients at course start, not with --response-vectors cutoff");
            return 2;
        }
        long t1 = System.nanoTime();
        Evaluation evaluation = new Evaluation(catalog, rules, settings);
        EvaluationReport report = evaluation.run(facts);
        if (responseCasesOut != null) {
            ResponseCases courses = evaluation.responseCourses();
            if (courses == null) {
                err.println("kindred evaluate: --response-cases-out needs the response report (--response or --modules)");
                return 2;
            }
            String population = inputs.isEmpty() ? String.format(Locale.ROOT, "synthea patients=%d seed=%d modules=%s",
                    patients, seed, modules) : "input " + inputs;
            new ResponseCases(population, courses.design(), courses.dimensions(), courses.courses()).write(responseCasesOut);
            err.printf("wrote %d judged courses to %s%n", courses.courses().size(), responseCasesOut);
        }
        err.printf("evaluated in %.0f s%n", (System.nanoTime() - t1) / 1e9);
        if (report.response() != null) {
            // The table for people on stderr; stdout stays one JSON object.
            err.print(report.response().toText());
        }

        Map<String, Object> json = new LinkedHashMap<>(report.toJson());
        json.put("mapping_rejections", rejections);
        json.put("catalog_version", catalog.version());
        json.put("outcome_rules_version", rules.version());
        System.out.println(new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json));
        return 0;
    }

    /** Maps every resource on its own, as the stream does, and groups the facts by patient key. */
    static Map<String, List<ClinicalFact>> readFacts(List<Path> sources, FeatureCatalog catalog,
            Map<String, Long> rejections) throws Exception {
        FhirMapper mapper = new FhirMapper(catalog);
        Map<String, List<ClinicalFact>> facts = new HashMap<>();
        FhirFileReader reader = new FhirFileReader();
        for (Path source : sources) {
            try (Stream<FhirResourceRecord> records = reader.stream(source)) {
                records.forEach(r -> {
                    if (r.unparseable()) {
                        rejections.merge("unparseable", 1L, Long::sum);
                        return;
                    }
                    MappingResult result = mapper.map(r.json(), r.eventTime() != null ? r.eventTime() : Instant.EPOCH);
                    for (ClinicalFact f : result.facts()) {
                        facts.computeIfAbsent(f.getPatientKey(), x -> new ArrayList<>()).add(f);
                    }
                    for (Rejection rej : result.rejections()) {
                        rejections.merge(rej.reason().code(), 1L, Long::sum);
                    }
                });
            }
        }
        return facts;
    }

    static Instant parseCutoff(String text) {
        try {
            return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            return Instant.parse(text);
        }
    }

    static Map<String, VectorWeights> parseCandidates(List<String> texts) {
        Map<String, VectorWeights> out = new LinkedHashMap<>();
        for (String text : texts) {
            int colon = text.indexOf(':');
            if (colon < 1) {
                throw new IllegalArgumentException("--weight-candidate: '" + text + "' is not NAME:block=weight,...");
            }
            String blocks = text.substring(colon + 1).trim();
            out.put(text.substring(0, colon), blocks.isEmpty() ? VectorWeights.DEFAULT : parseWeights(blocks));
        }
        return out;
    }

    static VectorWeights parseWeights(String text) {
        Map<String, Double> overrides = new HashMap<>();
        for (String part : text.split(",")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("--weights: '" + part + "' is not block=weight");
            }
            overrides.put(kv[0].trim(), Double.parseDouble(kv[1].trim()));
        }
        try {
            return VectorWeights.DEFAULT.withOverrides(overrides);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--weights: " + e.getMessage(), e);
        }
    }
}
