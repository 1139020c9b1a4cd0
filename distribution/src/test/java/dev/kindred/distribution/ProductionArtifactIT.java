package dev.kindred.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The production artifact (distribution/target/kindred) holds no Kafka broker, no schema-registry server and no
 * Synthea, and its commands say so rather than fail on a missing class.
 */
@Timeout(120)
class ProductionArtifactIT {
    private static final Path DIR = Path.of(System.getProperty("kindred.production.dir", "target/kindred"));

    /** Classes that only the dev stack or Synthea bring. */
    private static final List<String> FORBIDDEN = List.of(
            "kafka/server/KafkaRaftServer.class",              // the broker (kafka_2.13)
            "org/apache/kafka/metadata/storage/Formatter.class", // KRaft storage formatting (kafka-metadata)
            "dev/kindred/devstack/",                           // Kindred's in-process broker and registry server
            "org/mitre/synthea/");                             // the patient generator

    @Test
    void noBrokerRegistryServerOrSyntheaClassIsInAnyJar() throws IOException {
        List<Path> jars = jars();
        assertThat(jars).as("the distribution was built").isNotEmpty();
        assertThat(jars).extracting(p -> p.getFileName().toString())
                .contains("kindred.jar")
                .anySatisfy(name -> assertThat(name).startsWith("kafka-streams-"))
                .anySatisfy(name -> assertThat(name).startsWith("kindred-topology-"));
        List<String> found = new ArrayList<>();
        for (Path jar : jars) {
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                    String name = e.nextElement().getName();
                    for (String forbidden : FORBIDDEN) {
                        if (name.startsWith(forbidden)) {
                            found.add(jar.getFileName() + "!" + name);
                        }
                    }
                }
            }
        }
        assertThat(found).isEmpty();
    }

    @Test
    void theCommandRunsAndExplainsWhatTheProductionBuildLeavesOut() throws Exception {
        Result help = kindred("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.output()).contains("run", "alerts", "evaluate");

        Result demo = kindred("demo");
        assertThat(demo.exit()).isEqualTo(2);
        assertThat(demo.output()).contains("production build").contains("kindred run --config");

        Result evaluate = kindred("evaluate", "--patients", "5");
        assertThat(evaluate.exit()).isEqualTo(2);
        assertThat(evaluate.output()).contains("Synthea is not in this build");
    }

    private static List<Path> jars() throws IOException {
        List<Path> jars = new ArrayList<>();
        jars.add(DIR.resolve("kindred.jar"));
        try (Stream<Path> lib = Files.list(DIR.resolve("lib"))) {
            lib.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(jars::add);
        }
        return jars.stream().filter(Files::exists).toList();
    }

    private record Result(int exit, String output) {
    }

    private static Result kindred(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", DIR.resolve("kindred.jar").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("kindred %s finished", String.join(" ", args)).isTrue();
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
