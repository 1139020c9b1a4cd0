package dev.kindred.app;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code kindred} command. The commands that start the in-process dev stack are added only when it is on
 * the classpath: the production distribution leaves the broker, the registry server and Synthea out, and its
 * {@code demo} says so instead of failing with a missing class.
 */
@Command(name = "kindred", mixinStandardHelpOptions = true, version = "kindred 0.1.0",
        description = "Real-time clinical decision support on Kafka Streams: FHIR R4 events become patient"
                + " vectors, similar patients are found in HNSW indexes, and alerts are published as Avro.",
        subcommands = {RunCommand.class, AlertsCommand.class, VectorsCommand.class, EvaluateCommand.class,
                LearnMetricCommand.class, SendCommand.class})
public final class Kindred implements Runnable {
    /** A class only the dev stack has. */
    static final String DEV_STACK_MARKER = "dev.kindred.devstack.EmbeddedKafkaBroker";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Kindred());
        if (devStackPresent()) {
            cli.addSubcommand("demo", newInstance("dev.kindred.app.DemoCommand"));
            cli.addSubcommand("broker", newInstance("dev.kindred.app.BrokerCommand"));
        } else {
            cli.addSubcommand("demo", new WithoutDevStack());
        }
        return cli;
    }

    static boolean devStackPresent() {
        try {
            Class.forName(DEV_STACK_MARKER, false, Kindred.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** Loaded by name, so a build without the dev stack never links the commands that need it. */
    private static Object newInstance(String className) {
        try {
            var constructor = Class.forName(className).getDeclaredConstructor();
            constructor.setAccessible(true);
            return constructor.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + className, e);
        }
    }

    /** Stands in for a dev-stack command in the production distribution. */
    @Command(name = "demo", description = "Not in this build: the production distribution has no in-process dev stack.")
    static final class WithoutDevStack implements Callable<Integer> {
        @Override
        public Integer call() {
            System.err.println("kindred: this is the production build, without the in-process dev stack (broker,"
                    + " schema registry, Synthea). Run Kindred against your cluster with 'kindred run --config FILE',"
                    + " or use the development build (./kindred from a source checkout).");
            return 2;
        }
    }
}
