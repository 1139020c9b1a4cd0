package dev.kindred.connectors.synthea;

import org.mitre.synthea.engine.Generator;
import org.mitre.synthea.export.Exporter;
import org.mitre.synthea.helpers.Config;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Generates synthetic patients with Synthea 3.3.0 inside this JVM, as FHIR R4 transaction Bundles (one
 * file per patient, references {@code urn:uuid:}), for the dev stack, tests and benchmarks. Synthea is an
 * optional dependency: check {@link #available()} before use in code that may run without it.
 *
 * <p>Output goes to {@code workDir/synthea-p<N>-s<seed>-r<yyyyMMdd>/fhir}, files named by patient UUID
 * (Synthea's default names carry the patient's name). A marker file is written last; a later call with the
 * same patients, seed and reference time in the same {@code workDir} reuses a complete output at once, and
 * an incomplete one is deleted and generated again. Generation happens in a sibling {@code .tmp} directory
 * that is renamed when done.
 *
 * <p>Determinism: seed and clinician seed are both {@code seed}, and the reference ("now") and end time of
 * the simulation are fixed ({@link #DEFAULT_REFERENCE_TIME} unless given), so the same arguments in a fresh
 * JVM give byte-identical files (tested against a child JVM). Repeated in the same JVM after another run,
 * the patients and their ids are the same but Synthea's static state can change details (seen: the
 * severity of an AllergyIntolerance reaction). With Synthea's default reference time of "now" every run
 * would shift birth dates and ages.
 *
 * <p>No patient data in our output: Synthea prints each generated patient's name, age and city to stdout
 * unless {@code generate.log_patients.detail=none}, which is set here. Synthea still prints its run options
 * (population, seeds, state) and totals to stdout; those hold no patient data.
 *
 * <p>Synthea keeps its settings in the static, JVM-wide {@link Config}, and other static state. Calls are
 * serialised on this class and set every setting they rely on, so generating several times in one JVM with
 * different patients, seeds and directories works (tested; see determinism above for its limit). Settings
 * Synthea captures once per JVM are not
 * changeable later: the FHIR exporter reads {@code exporter.fhir.transaction_bundle},
 * {@code use_us_core_ig} and {@code us_core_version} in a static initialiser, and providers and clinicians
 * are loaded once per state with the clinician seed of the first run. The settings used here never change,
 * so that does not matter to this class, but other code changing Synthea's Config in the same JVM would.
 * Synthea never calls {@code System.exit} on this path (only its command-line {@code App -h} and its
 * stand-alone tools do).
 */
public final class SyntheaFeed {

    private static final Logger log = LoggerFactory.getLogger(SyntheaFeed.class);

    /** The simulation's "now" unless another is given: fixed so that a seed always means the same patients. */
    public static final Instant DEFAULT_REFERENCE_TIME = Instant.parse("2025-01-01T00:00:00Z");

    /** Written into the output directory when generation has completed. */
    public static final String MARKER = "kindred-synthea.properties";

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    private SyntheaFeed() {
    }

    /** True when Synthea is on the classpath (it is left out of production builds). */
    public static boolean available() {
        try {
            Class.forName("org.mitre.synthea.engine.Generator", false, SyntheaFeed.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Generates (or reuses) {@code patients} living patients with {@code seed}; returns the FHIR directory. */
    public static Path generate(int patients, long seed, Path workDir) {
        return generate(patients, seed, DEFAULT_REFERENCE_TIME, workDir);
    }

    /**
     * As {@link #generate(int, long, Path)} with the simulation ending at {@code referenceTime}.
     *
     * @return the directory holding one FHIR R4 transaction Bundle ({@code <uuid>.json}) per patient; also
     *     one per patient who died during the simulation, as Synthea exports those in addition
     * @throws IllegalStateException when Synthea produced fewer living patients than asked for
     */
    public static synchronized Path generate(int patients, long seed, Instant referenceTime, Path workDir) {
        if (patients < 1) {
            throw new IllegalArgumentException("patients must be at least 1, got " + patients);
        }
        String name = "synthea-p" + patients + "-s" + seed + "-r" + DAY.format(referenceTime);
        Path dir = workDir.toAbsolutePath().normalize().resolve(name);
        Path fhir = dir.resolve("fhir");
        if (Files.isRegularFile(dir.resolve(MARKER)) && Files.isDirectory(fhir)) {
            log.info("Reusing {} Synthea patients (seed {}) from {}", patients, seed, fhir);
            return fhir;
        }
        Path tmp = dir.resolveSibling(name + ".tmp");
        try {
            deleteRecursively(dir);
            deleteRecursively(tmp);
            Files.createDirectories(tmp);
            long t0 = System.nanoTime();
            // Synthea prints its run options and progress to stdout; stdout belongs to the caller's output
            // (summary lines, JSON), so Synthea's chatter goes to stderr while it runs.
            Generator generator;
            java.io.PrintStream stdout = System.out;
            System.setOut(System.err);
            try {
                generator = run(patients, seed, referenceTime, tmp);
            } finally {
                System.setOut(stdout);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;

            int alive = generator.stats.get("alive").get();
            int dead = generator.stats.get("dead").get();
            long files;
            try (Stream<Path> list = Files.list(tmp.resolve("fhir"))) {
                files = list.filter(p -> p.toString().endsWith(".json")).count();
            }
            if (alive < patients || files < patients) {
                throw new IllegalStateException("Synthea produced " + alive + " living patients and " + files
                        + " files for " + patients + " asked (seed " + seed + "); see its stack traces on stderr");
            }
            writeMarker(tmp, patients, seed, referenceTime, alive, dead, files, seconds);
            move(tmp, dir);
            log.info("Synthea generated {} patients (+{} deceased) with seed {} in {} s ({} patients/s) into {}",
                    alive, dead, seed, String.format("%.1f", seconds), String.format("%.2f", (alive + dead) / seconds), fhir);
            return fhir;
        } catch (IOException e) {
            throw new UncheckedIOException("Synthea output in " + dir + " failed: " + e.getMessage(), e);
        }
    }

    private static Generator run(int patients, long seed, Instant referenceTime, Path baseDir) {
        for (Map.Entry<String, String> e : settings(baseDir).entrySet()) {
            Config.set(e.getKey(), e.getValue());
        }
        // Options read some Config values when constructed: build them after setting Config.
        Generator.GeneratorOptions options = new Generator.GeneratorOptions();
        options.population = patients;
        options.seed = seed;
        options.clinicianSeed = seed;
        options.referenceTime = referenceTime.toEpochMilli();
        options.endTime = referenceTime.toEpochMilli();
        Generator generator = new Generator(options, new Exporter.ExporterRuntimeOptions());
        generator.run();
        return generator;
    }

    /** Every Synthea setting this class relies on: FHIR R4 patient bundles only, quiet, uuid file names. */
    static Map<String, String> settings(Path baseDir) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("exporter.baseDirectory", baseDir.toString());
        s.put("generate.log_patients.detail", "none");
        s.put("exporter.use_uuid_filenames", "true");
        s.put("exporter.subfolders_by_id_substring", "false");
        s.put("exporter.fhir.export", "true");
        s.put("exporter.fhir.transaction_bundle", "true");
        s.put("exporter.fhir.bulk_data", "false");
        s.put("exporter.fhir.included_resources", "");
        s.put("exporter.fhir.excluded_resources", "");
        s.put("exporter.hospital.fhir.export", "false");
        s.put("exporter.practitioner.fhir.export", "false");
        s.put("exporter.groups.fhir.export", "false");
        s.put("exporter.years_of_history", "10");
        s.put("exporter.enable_custom_exporters", "false");
        for (String off : new String[]{"fhir_stu3", "fhir_dstu2", "hospital.fhir_stu3", "hospital.fhir_dstu2",
                "practitioner.fhir_stu3", "practitioner.fhir_dstu2", "ccda", "json", "csv", "cpcds", "bfd", "cdw",
                "text", "clinical_note", "symptoms.csv", "symptoms.text", "metadata"}) {
            s.put("exporter." + off + ".export", "false");
        }
        s.put("exporter.text.per_encounter_export", "false");
        s.put("generate.only_alive_patients", "false");
        s.put("generate.only_dead_patients", "false");
        s.put("generate.track_detailed_transition_metrics", "false");
        s.put("physiology.generators.enabled", "false");
        return s;
    }

    private static void writeMarker(Path dir, int patients, long seed, Instant referenceTime, int alive, int dead,
                                    long files, double seconds) throws IOException {
        Properties p = new Properties();
        p.setProperty("patients", Integer.toString(patients));
        p.setProperty("seed", Long.toString(seed));
        p.setProperty("referenceTime", referenceTime.toString());
        p.setProperty("alive", Integer.toString(alive));
        p.setProperty("deceased", Integer.toString(dead));
        p.setProperty("files", Long.toString(files));
        p.setProperty("seconds", String.format(java.util.Locale.ROOT, "%.1f", seconds));
        p.setProperty("synthea", "3.3.0");
        try (OutputStream out = Files.newOutputStream(dir.resolve(MARKER))) {
            p.store(out, "Complete Synthea output written by Kindred's SyntheaFeed");
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    /**
     * Command line: {@code SyntheaFeed <patients> <seed> <workDir>} prints the FHIR directory. For scripts,
     * benchmarks and the determinism test (which compares a run in a fresh JVM).
     */
    public static void main(String[] args) {
        if (args.length != 3) {
            throw new IllegalArgumentException("Usage: SyntheaFeed <patients> <seed> <workDir>");
        }
        System.out.println(generate(Integer.parseInt(args[0]), Long.parseLong(args[1]), Path.of(args[2])));
    }
}
