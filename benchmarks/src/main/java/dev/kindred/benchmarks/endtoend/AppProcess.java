package dev.kindred.benchmarks.endtoend;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The streams app under test as a separate OS process: {@code java --add-modules jdk.incubator.vector -cp
 * <kindred.jar>:<lib>/* dev.kindred.app.Kindred run --config FILE}, so that any build of the app, an older one
 * included, is driven and measured the same way. Its stdout and stderr go to a log file.
 */
final class AppProcess implements AutoCloseable {
    static final String MAIN_CLASS = "dev.kindred.app.Kindred";
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    /** A build of the app: its jar and the lib/ directory beside it. */
    record Build(String label, Path jar) {
        Build {
            jar = jar.toAbsolutePath().normalize();
        }

        Path lib() {
            return jar.getParent().resolve("lib");
        }

        /** Fails with what to do when the jar or its lib/ is missing. */
        void check() {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("no app jar at " + jar + ": build it with 'mvn -o -B -pl app -am package"
                        + " -DskipTests' (or pass --app-jar PATH to another build's kindred.jar)");
            }
            if (!Files.isDirectory(lib())) {
                throw new IllegalArgumentException("no lib/ directory beside " + jar + ": the app jar needs its runtime"
                        + " dependencies there (mvn package of the app module copies them)");
            }
        }
    }

    private final Process process;
    private final Path log;
    private final long startedNanos;
    /** Kills the app if the benchmark itself is stopped (Ctrl-C), so no instance outlives it. */
    private final Thread killOnExit;

    private AppProcess(Process process, Path log, long startedNanos) {
        this.process = process;
        this.log = log;
        this.startedNanos = startedNanos;
        this.killOnExit = new Thread(process::destroyForcibly, "kindred-e2e-kill-app");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * Writes {@code settings} to {@code configFile} and starts the app on it.
     *
     * @param jvmOptions e.g. {@code -Xmx4g}; the vector module flag is always added
     */
    static AppProcess start(Build build, Map<String, String> settings, Path configFile, List<String> jvmOptions, Path log)
            throws IOException {
        build.check();
        Properties props = new Properties();
        props.putAll(new TreeMap<>(settings));
        Files.createDirectories(configFile.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(configFile)) {
            props.store(out, "written by the end-to-end benchmark");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(build.jar() + java.io.File.pathSeparator + build.lib().resolve("*"));
        command.add(MAIN_CLASS);
        command.add("run");
        command.add("--config");
        command.add(configFile.toAbsolutePath().toString());
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        long t0 = System.nanoTime();
        return new AppProcess(pb.start(), log, t0);
    }

    long pid() {
        return process.pid();
    }

    long startedNanos() {
        return startedNanos;
    }

    /** Throws with the end of the app's log when the process has exited. */
    void checkAlive(String while_) {
        if (!process.isAlive()) {
            throw new IllegalStateException("the app process exited with status " + process.exitValue() + " while "
                    + while_ + "; the end of its log (" + log + "):\n" + logTail(40));
        }
    }

    /** {@link #checkAlive} once in {@code every} calls, for loops that must not slow down. */
    void checkAliveEvery(long i, String while_) {
        if (i % 1000 == 0) {
            checkAlive(while_);
        }
    }

    /** Resident set size now and its peak (VmRSS, VmHWM from /proc), in bytes; -1 where unknown. */
    long[] rss() {
        long rss = -1;
        long peak = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kilobytes(line) * 1024;
                } else if (line.startsWith("VmHWM:")) {
                    peak = kilobytes(line) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone: unknown
        }
        return new long[] {rss, peak};
    }

    private static long kilobytes(String statusLine) {
        return Long.parseLong(statusLine.replaceAll("[^0-9]", ""));
    }

    /** Heap in use after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}), in bytes; -1 if jcmd fails. */
    long liveHeapBytes() {
        try {
            jcmd("GC.run");
            return heapUsedBytes(jcmd("GC.heap_info"));
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Sum of the "used" of each heap space in {@code GC.heap_info} output (Metaspace excluded). */
    static long heapUsedBytes(String heapInfo) {
        long used = 0;
        boolean found = false;
        for (String line : heapInfo.split("\n")) {
            String trimmed = line.trim();
            if (!line.startsWith(" ") || line.startsWith("  ") || trimmed.startsWith("Metaspace")
                    || trimmed.startsWith("class space") || !trimmed.contains("total")) {
                continue;
            }
            Matcher m = HEAP_USED.matcher(trimmed);
            if (m.find()) {
                used += Long.parseLong(m.group(1)) * 1024;
                found = true;
            }
        }
        if (!found) {
            throw new IllegalStateException("no heap usage in jcmd GC.heap_info output");
        }
        return used;
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + command + " failed: " + out);
        }
        return out;
    }

    /** Stops the app as an operator would (SIGTERM: its shutdown hook closes Kafka Streams), killing it after the grace time. */
    void stop(Duration grace) throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    /** The last {@code lines} lines of the app's log. */
    String logTail(int lines) {
        try (Stream<String> all = Files.lines(log, StandardCharsets.UTF_8)) {
            List<String> list = all.toList();
            return String.join("\n", list.subList(Math.max(0, list.size() - lines), list.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        try {
            stop(Duration.ofSeconds(60));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Bytes of the regular files under {@code dir} (0 when it does not exist). */
    static long directoryBytes(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // removed while walking (RocksDB compaction)
                }
            }).sum();
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }
}
