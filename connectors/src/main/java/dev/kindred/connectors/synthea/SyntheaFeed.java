package dev.kindred.connectors.synthea;

import org.mitre.synthea.engine.Generator;
import org.mitre.synthea.engine.Module;
import org.mitre.synthea.export.Exporter;
import org.mitre.synthea.helpers.Config;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
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
 *
 * <p>Extra modules: {@link #generate(int, long, Instant, Path, Path)} also loads the Generic Module Framework
 * modules of a directory, as Synthea's own module-directory option ({@code App -d DIR}) does: a file whose
 * path matches one of Synthea's modules (e.g. {@code hypertension.json}) replaces it, files in sub-directories
 * are submodules. {@link #responseModules()} is Kindred's own set, in which treatment response varies between
 * patients (documented in {@code MECHANISMS.md} beside them). Synthea keeps its modules in a JVM-wide
 * registry and never forgets added ones; this class restores the registry after the run, so a later call
 * without the directory generates with Synthea's modules only. Extra modules change which random numbers
 * every patient draws: the same seed gives other patients than without them. The output directory name
 * carries a fingerprint of the modules' contents ({@code -m<hash>}), so a changed module never reuses an
 * output generated with the old one.
 */
public final class SyntheaFeed {

    private static final Logger log = LoggerFactory.getLogger(SyntheaFeed.class);

    /** The simulation's "now" unless another is given: fixed so that a seed always means the same patients. */
    public static final Instant DEFAULT_REFERENCE_TIME = Instant.parse("2025-01-01T00:00:00Z");

    /** Written into the output directory when generation has completed. */
    public static final String MARKER = "kindred-synthea.properties";

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    /** Kindred's response modules: a resource directory beside this class, documented by this file in it. */
    static final String RESPONSE_MODULES_DOC = "modules/MECHANISMS.md";

    /** Hex digits of the modules' SHA-256 in output directory names. */
    static final int FINGERPRINT_DIGITS = 10;

    private static Path extractedResponseModules;

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
    public static Path generate(int patients, long seed, Instant referenceTime, Path workDir) {
        return generate(patients, seed, referenceTime, workDir, null);
    }

    /**
     * As {@link #generate(int, long, Instant, Path)}, with the Generic Module Framework modules of
     * {@code modulesDir} loaded in addition to Synthea's (see the class comment), e.g.
     * {@code generate(300, 42, DEFAULT_REFERENCE_TIME, work, SyntheaFeed.responseModules())}.
     *
     * @param modulesDir a directory of module JSON files, or null for Synthea's modules only
     * @return the FHIR directory, under {@code workDir/synthea-p<N>-s<seed>-r<yyyyMMdd>[-m<fingerprint>]}
     */
    public static synchronized Path generate(int patients, long seed, Instant referenceTime, Path workDir,
                                             Path modulesDir) {
        return generate(patients, seed, referenceTime, workDir, modulesDir, false);
    }

    /**
     * As {@link #generate(int, long, Path)}, exported as a FHIR Bulk Data export instead of Bundles: one NDJSON file
     * per resource type ({@code Patient.ndjson}, {@code Observation.ndjson}, {@code Medication.ndjson} …) with
     * {@code Type/id} references between them; a MedicationRequest names its Medication by
     * {@code medicationReference} to a separate Medication resource where Synthea models one.
     *
     * @return the directory holding the NDJSON files, under {@code workDir/synthea-p<N>-s<seed>-r<yyyyMMdd>-bulk}
     */
    public static synchronized Path generateBulk(int patients, long seed, Path workDir) {
        return generate(patients, seed, DEFAULT_REFERENCE_TIME, workDir, null, true);
    }

    private static Path generate(int patients, long seed, Instant referenceTime, Path workDir, Path modulesDir,
                                 boolean bulk) {
        if (patients < 1) {
            throw new IllegalArgumentException("patients must be at least 1, got " + patients);
        }
        Path modules = modulesDir == null ? null : modulesDir.toAbsolutePath().normalize();
        String fingerprint = modules == null ? null : fingerprint(modules);
        String name = "synthea-p" + patients + "-s" + seed + "-r" + DAY.format(referenceTime)
                + (fingerprint == null ? "" : "-m" + fingerprint.substring(0, FINGERPRINT_DIGITS))
                + (bulk ? "-bulk" : "");
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
                generator = run(patients, seed, referenceTime, tmp, modules, bulk);
            } finally {
                System.setOut(stdout);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;

            int alive = generator.stats.get("alive").get();
            int dead = generator.stats.get("dead").get();
            long files;
            try (Stream<Path> list = Files.list(tmp.resolve("fhir"))) {
                files = list.filter(p -> p.toString().endsWith(bulk ? ".ndjson" : ".json")).count();
            }
            if (alive < patients || (bulk ? !Files.isRegularFile(tmp.resolve("fhir").resolve("Patient.ndjson"))
                    : files < patients)) {
                throw new IllegalStateException("Synthea produced " + alive + " living patients and " + files
                        + " files for " + patients + " asked (seed " + seed + "); see its stack traces on stderr");
            }
            writeMarker(tmp, patients, seed, referenceTime, alive, dead, files, seconds, modules, fingerprint);
            move(tmp, dir);
            log.info("Synthea generated {} patients (+{} deceased) with seed {}{} in {} s ({} patients/s) into {}",
                    alive, dead, seed, modules == null ? "" : " and the modules of " + modules,
                    String.format("%.1f", seconds), String.format("%.2f", (alive + dead) / seconds), fhir);
            return fhir;
        } catch (IOException e) {
            throw new UncheckedIOException("Synthea output in " + dir + " failed: " + e.getMessage(), e);
        }
    }

    private static Generator run(int patients, long seed, Instant referenceTime, Path baseDir, Path modulesDir,
                                 boolean bulk) {
        for (Map.Entry<String, String> e : settings(baseDir).entrySet()) {
            Config.set(e.getKey(), e.getValue());
        }
        // Read per export (also for Type/id instead of urn:uuid references), so it may change between runs.
        Config.set("exporter.fhir.bulk_data", Boolean.toString(bulk));
        // Options read some Config values when constructed: build them after setting Config.
        Generator.GeneratorOptions options = new Generator.GeneratorOptions();
        options.population = patients;
        options.seed = seed;
        options.clinicianSeed = seed;
        options.referenceTime = referenceTime.toEpochMilli();
        options.endTime = referenceTime.toEpochMilli();
        if (modulesDir == null) {
            Generator generator = new Generator(options, new Exporter.ExporterRuntimeOptions());
            generator.run();
            return generator;
        }
        options.localModuleDir = modulesDir.toFile();
        // The Generator adds the directory's modules to Synthea's JVM-wide registry (replacing stock modules of
        // the same path) and nothing ever removes them: put the registry back as it was once the run is over.
        Map<String, Object> registry = moduleRegistry();
        Map<String, Object> before = new TreeMap<>(registry);
        try {
            Generator generator = new Generator(options, new Exporter.ExporterRuntimeOptions());
            generator.run();
            return generator;
        } finally {
            registry.clear();
            registry.putAll(before);
        }
    }

    /** Synthea's registry of modules by path ({@code Module.modules}, private, static and mutable). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> moduleRegistry() {
        try {
            Field field = Module.class.getDeclaredField("modules");
            field.setAccessible(true);
            return (Map<String, Object>) field.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("Cannot reach Synthea's module registry (org.mitre.synthea.engine.Module"
                    + ".modules) to remove extra modules after a run; this class was written for Synthea 3.3.0", e);
        }
    }

    /**
     * Kindred's Synthea modules in which treatment response varies between patients, as a directory for
     * {@link #generate(int, long, Instant, Path, Path)}: the resource directory itself when the classes are on
     * the file system, else (packaged in a jar) a copy extracted once per JVM into a temporary directory that
     * is deleted when the JVM exits. Their mechanisms are in {@code MECHANISMS.md} in that directory.
     */
    public static synchronized Path responseModules() {
        URL doc = SyntheaFeed.class.getResource(RESPONSE_MODULES_DOC);
        if (doc == null) {
            throw new IllegalStateException("Kindred's Synthea modules are missing from the classpath ("
                    + RESPONSE_MODULES_DOC + " beside " + SyntheaFeed.class.getName() + ")");
        }
        if (!"file".equals(doc.getProtocol()) && extractedResponseModules != null
                && Files.isDirectory(extractedResponseModules)) {
            return extractedResponseModules;
        }
        Path dir = moduleDirectory(doc);
        if (!"file".equals(doc.getProtocol())) {
            extractedResponseModules = dir;
        }
        return dir;
    }

    /**
     * The directory holding the resource {@code doc}: itself for a {@code file:} URL, else its contents copied
     * out of the jar into a new temporary directory (deleted when the JVM exits).
     */
    static Path moduleDirectory(URL doc) {
        try {
            URI uri = doc.toURI();
            if ("file".equals(uri.getScheme())) {
                return Path.of(uri).getParent();
            }
            if (!"jar".equals(uri.getScheme())) {
                throw new IllegalStateException("Cannot read Synthea modules from " + doc);
            }
            FileSystem jar;
            boolean opened = false;
            try {
                jar = FileSystems.newFileSystem(uri, Map.of());
                opened = true;
            } catch (FileSystemAlreadyExistsException e) {
                jar = FileSystems.getFileSystem(uri);
            }
            try {
                Path source = jar.provider().getPath(uri).getParent();
                Path target = Files.createTempDirectory("kindred-synthea-modules-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        deleteRecursively(target);
                    } catch (IOException ignored) {
                        // best effort: a temporary directory
                    }
                }, "kindred-synthea-modules-cleanup"));
                try (Stream<Path> walk = Files.walk(source)) {
                    for (Path p : (Iterable<Path>) walk::iterator) {
                        Path out = target.resolve(source.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(out);
                        } else {
                            Files.copy(p, out, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
                log.info("Extracted Kindred's Synthea modules from {} into {}", doc, target);
                return target;
            } finally {
                if (opened) {
                    jar.close();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Extracting Synthea modules from " + doc + " failed: " + e.getMessage(), e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("Bad resource URL " + doc, e);
        }
    }

    /**
     * SHA-256 (hex) over the relative paths and contents of the module files (*.json) under {@code dir}, in
     * path order: what Synthea reads from it.
     */
    static String fingerprint(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("Not a directory of Synthea modules: " + dir);
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> files = new ArrayList<>(walk.filter(p -> Files.isRegularFile(p) && p.toString().endsWith(".json"))
                    .toList());
            if (files.isEmpty()) {
                throw new IllegalArgumentException("No Synthea modules (*.json) in " + dir);
            }
            files.sort(Comparator.comparing(p -> dir.relativize(p).toString().replace('\\', '/')));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path f : files) {
                sha.update(dir.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(Files.readAllBytes(f));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("Reading Synthea modules in " + dir + " failed: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
                                    long files, double seconds, Path modules, String fingerprint) throws IOException {
        Properties p = new Properties();
        p.setProperty("patients", Integer.toString(patients));
        p.setProperty("seed", Long.toString(seed));
        p.setProperty("referenceTime", referenceTime.toString());
        p.setProperty("alive", Integer.toString(alive));
        p.setProperty("deceased", Integer.toString(dead));
        p.setProperty("files", Long.toString(files));
        p.setProperty("seconds", String.format(java.util.Locale.ROOT, "%.1f", seconds));
        p.setProperty("synthea", "3.3.0");
        if (modules != null) {
            p.setProperty("modules", modules.toString());
            p.setProperty("modulesSha256", fingerprint);
        }
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
     * Command line: {@code SyntheaFeed <patients> <seed> <workDir> [--modules <dir> | --response-modules]}
     * prints the FHIR directory. For scripts, benchmarks and the determinism test (which compares a run in a
     * fresh JVM).
     */
    public static void main(String[] args) {
        String usage = "Usage: SyntheaFeed <patients> <seed> <workDir> [--modules <dir> | --response-modules]";
        Path modules;
        if (args.length == 3) {
            modules = null;
        } else if (args.length == 4 && "--response-modules".equals(args[3])) {
            modules = responseModules();
        } else if (args.length == 5 && "--modules".equals(args[3])) {
            modules = Path.of(args[4]);
        } else {
            throw new IllegalArgumentException(usage);
        }
        System.out.println(generate(Integer.parseInt(args[0]), Long.parseLong(args[1]), DEFAULT_REFERENCE_TIME,
                Path.of(args[2]), modules));
    }
}
