package dev.kindred.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code kindred} command. */
@Command(name = "kindred", mixinStandardHelpOptions = true, version = "kindred 0.1.0",
        description = "Real-time clinical decision support on Kafka Streams: FHIR R4 events become patient"
                + " vectors, similar patients are found in HNSW indexes, and alerts are published as Avro.",
        subcommands = {DemoCommand.class, RunCommand.class, AlertsCommand.class, VectorsCommand.class,
                EvaluateCommand.class})
public final class Kindred implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Kindred()).execute(args));
    }
}
