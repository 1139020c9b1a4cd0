package dev.kindred.benchmarks.endtoend;

import dev.kindred.connectors.files.FhirResourceRecord;
import dev.kindred.fhir.FhirTopics;
import dev.kindred.connectors.synthea.SyntheaFeed;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The end-to-end benchmark: a population replayed into a real broker, the streams app as a separate process under
 * exactly_once_v2, and what a hospital would ask of it: events/s at saturation, event-to-alert latency at fixed
 * offered rates, memory and disk per patient, time from a restart to the first answered search, and where the time
 * goes stage by stage. The project README ("Performance", "End to end") says how each number is measured.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.kindred.benchmarks.endtoend.EndToEndBenchmark \
 *     --patients 100 --seed 42 --amplify 185 --out benchmarks/results/e2e.json
 * </pre>
 */
@Command(name = "EndToEndBenchmark", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures the Kindred streams app end to end: loads a population into an in-process broker,"
                + " runs the app (a separate process, exactly_once_v2) and reports throughput at saturation, latency"
                + " at offered rates, heap and disk per patient, restart time, and in-process cost per stage.",
                "Several --app-jar builds are measured one after the other on the same population, each in a fresh"
                        + " broker; ratios are to the first."})
public final class EndToEndBenchmark implements Callable<Integer> {

    @Option(names = "--patients", defaultValue = "100", description = "Synthea patients to generate (default ${DEFAULT-VALUE}; cached in --cache-dir).")
    int patients;

    @Option(names = "--seed", defaultValue = "42", description = "Synthea seed, also the amplification's date shifts (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--input", paramLabel = "PATH", description = "FHIR files instead of Synthea: Bundles, Bulk NDJSON, directories, gzip. Repeatable.")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--amplify", paramLabel = "N", defaultValue = "0",
            description = "Scale the population to N patients: copies of the source patients with new ids and dates moved back (or the first N when the source has more).")
    int amplify;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Where Synthea populations are kept (default ~/.cache/kindred/synthea).")
    Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "kindred", "synthea");

    @Option(names = "--app-jar", paramLabel = "[LABEL=]PATH",
            description = "A build of the app: its kindred.jar, with lib/ beside it (default app/target/kindred.jar). Repeatable: each build is measured in turn.")
    List<String> appJars = new ArrayList<>();

    @Option(names = "--app-heap", defaultValue = "4g", description = "The app's -Xmx (default ${DEFAULT-VALUE}, as ./kindred).")
    String appHeap;

    @Option(names = "--app-jvm-option", paramLabel = "OPT", description = "Further JVM option of the app process. Repeatable.")
    List<String> appJvmOptions = new ArrayList<>();

    @Option(names = "--app-config", paramLabel = "KEY=VALUE",
            description = "Setting passed to the app's config file (kindred.*, Kafka Streams, client settings), e.g. num.stream.threads=2. Repeatable.")
    Map<String, String> appConfig = new LinkedHashMap<>();

    @Option(names = "--latency-rate", paramLabel = "RATE", split = ",",
            description = "Offered rates of the latency runs, events/s, or 'saturation' for the throughput just measured (default 1000,saturation; 'none' for no latency run).")
    List<String> latencyRates = new ArrayList<>(List.of("1000", "saturation"));

    @Option(names = "--latency-events", paramLabel = "N", defaultValue = "10000",
            description = "Events offered per latency run (default ${DEFAULT-VALUE}): the latest events of the population, held back from the throughput run.")
    int latencyEvents;

    @Option(names = "--restart-patients", paramLabel = "N", defaultValue = "100000",
            description = "Patients loaded when the app is restarted (default ${DEFAULT-VALUE}): when the population has fewer, further copies, each with its Patient and --restart-events-per-patient records, top it up while the app runs. 1: restart on the population as loaded. 0: no restart.")
    int restartPatients;

    @Option(names = "--restart-events-per-patient", paramLabel = "K", defaultValue = "2",
            description = "Records besides the Patient of each top-up patient (default ${DEFAULT-VALUE}).")
    int restartEventsPerPatient;

    @Option(names = "--exclude-type", paramLabel = "TYPE",
            description = "Leave out the resources of this type (repeatable), e.g. Medication when comparing with a build"
                    + " from before Medication resources had a topic of their own.")
    Set<String> excludedTypes = new java.util.TreeSet<>();

    @Option(names = "--skip-stages", description = "Do not measure the cost per stage in-process.")
    boolean skipStages;

    @Option(names = "--stage-patients", paramLabel = "N", defaultValue = "0",
            description = "Measure the cost per stage over the records of the first N patients only (default: all). It runs the pipeline twice in one thread, so over a large population it takes about twice the app's time.")
    int stagePatients;

    @Option(names = "--timeout-minutes", defaultValue = "120", description = "Longest wait for the app to catch up, per phase (default ${DEFAULT-VALUE}).")
    long timeoutMinutes;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Broker data, app state and logs (default: a new temporary directory, deleted at the end).")
    Path workDir;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the report as JSON.")
    Path out;

    private final String[] args;

    EndToEndBenchmark(String[] args) {
        this.args = args;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        return new CommandLine(new EndToEndBenchmark(args)).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        PrintStream log = System.err;
        String startedAt = Instant.now().toString();
        String loadAverage = Machine.currentLoadAverage();
        List<AppProcess.Build> builds = builds();
        builds.forEach(AppProcess.Build::check);
        List<String> rates = latencyRates.equals(List.of("none")) ? List.of() : latencyRates;
        for (String r : rates) {
            if (!"saturation".equals(r) && !(r.matches("\\d+(\\.\\d+)?") && Double.parseDouble(r) > 0)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--latency-rate: a positive number or 'saturation', not " + r);
            }
        }

        boolean temporary = workDir == null;
        Path work = temporary ? Files.createTempDirectory("kindred-e2e-") : Files.createDirectories(workDir);
        try {
            Population population = population(log);
            List<FhirResourceRecord> all = population.records();
            int perRate = rates.isEmpty() ? 0 : Math.min(latencyEvents, all.size() / (2 * rates.size()));
            if (perRate < latencyEvents && !rates.isEmpty()) {
                log.printf("the population is small: %,d events per latency run instead of %,d%n", perRate, latencyEvents);
            }
            int preloadSize = all.size() - perRate * rates.size();
            List<FhirResourceRecord> preload = all.subList(0, preloadSize);
            List<List<FhirResourceRecord>> tails = new ArrayList<>();
            for (int i = 0; i < rates.size(); i++) {
                tails.add(all.subList(preloadSize + i * perRate, preloadSize + (i + 1) * perRate));
            }
            long preloadPatients = BuildRunner.distinctPatients(preload).size();
            Population topUp = restartPatients > preloadPatients
                    ? population.thinCopies((int) (restartPatients - preloadPatients), restartEventsPerPatient) : null;
            BuildRunner.Plan plan = new BuildRunner.Plan(preload, preloadPatients, rates, tails, topUp,
                    restartPatients, Duration.ofMinutes(timeoutMinutes));

            List<String> jvm = new ArrayList<>(List.of("-Xmx" + appHeap));
            jvm.addAll(appJvmOptions);
            List<Report.BuildRun> runs = new ArrayList<>();
            for (AppProcess.Build build : builds) {
                runs.add(new BuildRunner(build, work.resolve(build.label()), appConfig, jvm, log, inputTopics()).run(plan));
            }

            Report.Stages stages = skipStages ? null : stages(firstPatients(all, stagePatients), log);
            Report report = new Report("kindred-end-to-end", startedAt, command(),
                    Machine.describe().withLoadAverage(loadAverage),
                    new Report.PopulationInfo(population.description(), population.patients(), all.size(),
                            population.countsByType(), preload.size(), preloadPatients,
                            tails.stream().map(t -> (long) t.size()).toList()),
                    runs, stages);
            report.print(System.out);
            if (out != null) {
                report.writeJson(out);
                log.println("report written to " + out);
            }
            return 0;
        } finally {
            if (temporary) {
                deleteRecursively(work);
            }
        }
    }

    private List<AppProcess.Build> builds() {
        List<String> specs = appJars.isEmpty() ? List.of("app/target/kindred.jar") : appJars;
        List<AppProcess.Build> builds = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            String spec = specs.get(i);
            int eq = spec.indexOf('=');
            String label = eq > 0 ? spec.substring(0, eq) : specs.size() == 1 ? "app" : "build" + (i + 1);
            builds.add(new AppProcess.Build(label, Path.of(eq > 0 ? spec.substring(eq + 1) : spec)));
        }
        if (builds.stream().map(AppProcess.Build::label).distinct().count() < builds.size()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--app-jar labels must differ");
        }
        return builds;
    }

    private Population population(PrintStream log) throws IOException {
        long t0 = System.nanoTime();
        List<Path> sources = inputs;
        String description;
        if (sources.isEmpty()) {
            if (!SyntheaFeed.available()) {
                throw new IllegalStateException("Synthea is not on the classpath: pass --input PATH");
            }
            log.printf("Synthea population: %d patients, seed %d (cached in %s)%n", patients, seed, cacheDir);
            sources = List.of(SyntheaFeed.generate(patients, seed, cacheDir));
            description = "Synthea " + patients + " patients, seed " + seed;
        } else {
            for (Path input : sources) {
                if (!Files.exists(input)) {
                    throw new IllegalArgumentException("input " + input + " does not exist");
                }
            }
            description = "files " + sources;
        }
        Population population = Population.read(sources, description, amplify, seed, excludedTypes);
        log.printf("population: %s: %,d patients, %,d events, read in %.1f s%n", population.description(),
                population.patients(), population.records().size(), (System.nanoTime() - t0) / 1e9);
        return population;
    }

    /** The default input topics but those of the excluded types. */
    private List<String> inputTopics() {
        Set<String> excludedTopics = new java.util.HashSet<>();
        excludedTypes.forEach(type -> excludedTopics.add(FhirTopics.forType(type)));
        return FhirTopics.DEFAULTS.stream().filter(topic -> !excludedTopics.contains(topic)).toList();
    }

    /** The records of the first {@code n} patients to appear (all records when {@code n} is 0), in replay order. */
    static List<FhirResourceRecord> firstPatients(List<FhirResourceRecord> records, int n) {
        if (n <= 0) {
            return records;
        }
        Set<String> chosen = new HashSet<>();
        List<FhirResourceRecord> out = new ArrayList<>();
        for (FhirResourceRecord r : records) {
            String key = Population.patientKey(r);
            if (key != null && (chosen.contains(key) || chosen.size() < n && chosen.add(key))) {
                out.add(r);
            }
        }
        return out;
    }

    private static Report.Stages stages(List<FhirResourceRecord> records, PrintStream log) {
        log.printf("cost per stage: %,d events in-process...%n", records.size());
        StageProfile.Result r = new StageProfile().run(records);
        List<Report.Stage> stages = new ArrayList<>();
        r.nanos().keySet().forEach(name -> stages.add(new Report.Stage(name, BuildRunner.round(r.microsPerEvent(name), 2),
                BuildRunner.round(r.share(name), 4))));
        double total = r.totalMicrosPerEvent();
        return new Report.Stages("this benchmark's build of fhir-mappers and clinical", r.events(), r.facts(), r.alerts(),
                stages, BuildRunner.round(total, 2), BuildRunner.round(total > 0 ? 1e6 / total : 0, 0));
    }

    private String command() {
        return "java -cp benchmarks/target/benchmarks.jar " + EndToEndBenchmark.class.getName()
                + (args.length == 0 ? "" : " " + String.join(" ", args));
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
