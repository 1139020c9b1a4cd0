package dev.kindred.benchmarks.endtoend;

import dev.kindred.connectors.files.FhirResourceRecord;
import dev.kindred.connectors.replay.EventTimeReplayer;
import dev.kindred.devstack.EmbeddedKafkaBroker;
import dev.kindred.devstack.registry.InProcessSchemaRegistry;
import dev.kindred.fhir.FhirTopics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Measures one build of the app in a broker of its own: provisioning (the app creates its topics; its idle heap),
 * loading the population, saturation throughput, footprint, latency at each offered rate, and a restart.
 */
final class BuildRunner {
    static final String APPLICATION_ID = "kindred-e2e";
    private static final String PROVISION_APPLICATION_ID = "kindred-e2e-provision";
    private static final String ALERTS_TOPIC = "cds.alerts";
    private static final String VECTORS_TOPIC = "cds.patient-vectors";
    private static final String DEAD_LETTER_TOPIC = "cds.dead-letter";
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration STOP_GRACE = Duration.ofSeconds(60);

    /** What a run does besides throughput; the records are in replay order, after the preload. */
    record Plan(List<FhirResourceRecord> preload, long preloadPatients, List<String> latencyRates,
            List<List<FhirResourceRecord>> latencyTails, Population restartTopUp, long restartPatients,
            Duration timeout) {
    }

    private final AppProcess.Build build;
    private final Path dir;
    private final Map<String, String> appConfig;
    private final List<String> jvmOptions;
    private final PrintStream log;
    /** The input topics the population uses: every build must create and consume them. */
    private final List<String> inputTopics;

    BuildRunner(AppProcess.Build build, Path dir, Map<String, String> appConfig, List<String> jvmOptions, PrintStream log,
            List<String> inputTopics) {
        this.inputTopics = List.copyOf(inputTopics);
        this.build = build;
        this.dir = dir;
        this.appConfig = appConfig;
        this.jvmOptions = jvmOptions;
        this.log = log;
    }

    Report.BuildRun run(Plan plan) throws IOException, InterruptedException {
        build.check();
        log.printf("%n== %s: %s%n", build.label(), build.jar());
        try (InProcessSchemaRegistry registry = InProcessSchemaRegistry.start(0, null);
                EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0)) {
            Map<String, String> settings = settings(broker.bootstrapServers(), registry.url());
            try (OffsetWatch watch = new OffsetWatch(broker.bootstrapServers(), APPLICATION_ID, inputTopics)) {
                long idleHeap = provision(settings, watch);
                load(broker.bootstrapServers(), plan.preload());
                return measure(plan, settings, broker.bootstrapServers(), registry.url(), watch, idleHeap);
            }
        }
    }

    private Map<String, String> settings(String bootstrapServers, String registryUrl) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("bootstrap.servers", bootstrapServers);
        s.put("schema.registry.url", registryUrl);
        s.put("application.id", APPLICATION_ID);
        s.put("state.dir", dir.resolve("state").toAbsolutePath().toString());
        s.put("processing.guarantee", "exactly_once_v2");
        s.put("replication.factor", "1");
        // As kindred demo runs it: wait briefly for every input partition to have data, so records are
        // processed in the order they were sent (event time) across the per-type topics.
        s.put("max.task.idle.ms", "500");
        s.putAll(appConfig);
        return s;
    }

    /**
     * Starts the app once on the empty broker under another application id, so that the build creates its topics
     * as it would (partitions included), and measures its idle heap. Input topics then take LogAppendTime, so a
     * record's timestamp is when the broker appended it.
     */
    private long provision(Map<String, String> settings, OffsetWatch watch) throws IOException, InterruptedException {
        Map<String, String> provision = new LinkedHashMap<>(settings);
        provision.put("application.id", PROVISION_APPLICATION_ID);
        provision.put("state.dir", dir.resolve("provision-state").toAbsolutePath().toString());
        long heap;
        try (AppProcess app = AppProcess.start(build, provision, dir.resolve("provision.properties"), jvmOptions,
                dir.resolve("provision.log"))) {
            Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
            try (OffsetWatch provisionWatch = new OffsetWatch(settings.get("bootstrap.servers"), PROVISION_APPLICATION_ID,
                    inputTopics)) {
                while (provisionWatch.groupMembers() == 0 || !topicsExist(watch)) {
                    app.checkAlive("starting on empty topics");
                    if (Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("the app did not join its consumer group within 5 minutes; its log:\n"
                                + app.logTail(40));
                    }
                    Thread.sleep(POLL.toMillis());
                }
            }
            heap = app.liveHeapBytes();
        }
        List<AlterConfigOp> appendTime = List.of(new AlterConfigOp(
                new ConfigEntry(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"), AlterConfigOp.OpType.SET));
        Map<ConfigResource, java.util.Collection<AlterConfigOp>> alter = new LinkedHashMap<>();
        for (String topic : inputTopics) {
            alter.put(new ConfigResource(ConfigResource.Type.TOPIC, topic), appendTime);
        }
        try {
            watch.admin().incrementalAlterConfigs(alter).all().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot set LogAppendTime on the input topics: " + e.getCause(), e.getCause());
        }
        return heap;
    }

    private boolean topicsExist(OffsetWatch watch) throws InterruptedException {
        try {
            Set<String> names = watch.admin().listTopics().names().get();
            return names.containsAll(inputTopics) && names.contains(ALERTS_TOPIC) && names.contains(VECTORS_TOPIC);
        } catch (ExecutionException e) {
            return false;
        }
    }

    private void load(String bootstrapServers, List<FhirResourceRecord> records) throws InterruptedException {
        long t0 = System.nanoTime();
        try (Producer<byte[], byte[]> producer = EventTimeReplayer.newProducer(bootstrapServers, Map.of())) {
            new EventTimeReplayer(producer, FhirTopics.BY_TYPE, FhirTopics.forType("Observation"))
                    .replay(records.stream(), EventTimeReplayer.Progress.none());
        }
        log.printf("loaded %,d records in %.1f s%n", records.size(), (System.nanoTime() - t0) / 1e9);
    }

    private Report.BuildRun measure(Plan plan, Map<String, String> settings, String bootstrapServers, String registryUrl,
            OffsetWatch watch, long idleHeap) throws IOException, InterruptedException {
        AppProcess app = startApp(settings, "app");
        try {
            Report.Throughput throughput = throughput(app, watch, plan.preload().size(), bootstrapServers, plan.timeout());
            Report.Footprint footprint = footprint(app, plan.preloadPatients(), idleHeap);
            log.printf("footprint: live heap %,d MB, RSS %,d MB, state %,d MB for %,d patients%n",
                    footprint.liveHeapBytes() >> 20, footprint.rssBytes() >> 20, footprint.stateDirBytes() >> 20,
                    footprint.patients());
            List<Report.Latency> latencies = new ArrayList<>();
            for (int i = 0; i < plan.latencyRates().size(); i++) {
                String rate = plan.latencyRates().get(i);
                double perSecond = "saturation".equals(rate) ? Math.max(1, Math.round(throughput.eventsPerS()))
                        : Double.parseDouble(rate);
                latencies.add(latency(app, watch, bootstrapServers, registryUrl, rate, perSecond,
                        plan.latencyTails().get(i), plan.timeout()));
            }
            Report.Restart restart = null;
            if (plan.restartPatients() > 0) {
                AtomicReference<AppProcess> current = new AtomicReference<>(app);
                try {
                    restart = restart(current, settings, watch, bootstrapServers, registryUrl, plan, idleHeap);
                } finally {
                    app = current.get();
                }
            }
            return new Report.BuildRun(build.label(), build.jar().toString(), settings, jvmOptions, throughput,
                    footprint, latencies, restart);
        } finally {
            app.stop(STOP_GRACE);
        }
    }

    private AppProcess startApp(Map<String, String> settings, String name) throws IOException {
        return AppProcess.start(build, settings, dir.resolve(name + ".properties"), jvmOptions, dir.resolve(name + ".log"));
    }

    /** From the first committed input observed to every input and repartition offset committed. */
    private Report.Throughput throughput(AppProcess app, OffsetWatch watch, long events, String bootstrapServers,
            Duration timeout) throws InterruptedException {
        String load0 = Machine.currentLoadAverage();
        long firstNanos = -1;
        long firstCommitted = 0;
        long lastSample = -1;
        List<Report.Sample> timeline = new ArrayList<>();
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            app.checkAlive("processing the population");
            OffsetWatch.Progress p = watch.progress();
            long now = System.nanoTime();
            if (p.inputEnd() != events) {
                throw new IllegalStateException("the input topics hold " + p.inputEnd() + " records, " + events + " were loaded");
            }
            if (firstNanos < 0 && p.inputCommitted() > 0) {
                firstNanos = now;
                firstCommitted = p.inputCommitted();
                log.printf("first commit %.1f s after the app started%n", (now - app.startedNanos()) / 1e9);
            }
            if (firstNanos >= 0 && (lastSample < 0 || now - lastSample >= 5_000_000_000L || p.caughtUp())) {
                timeline.add(new Report.Sample(round((now - firstNanos) / 1e9, 1), p.inputCommitted()));
                lastSample = now;
                long repartitionBehind = p.behind().entrySet().stream()
                        .filter(e -> e.getKey().topic().endsWith("-repartition")).mapToLong(Map.Entry::getValue).sum();
                log.printf("\rinput committed %,d of %,d, repartitioned facts behind %,d   ", p.inputCommitted(), events,
                        repartitionBehind);
            }
            if (firstNanos >= 0 && p.caughtUp()) {
                double seconds = (now - firstNanos) / 1e9;
                double rate = seconds > 0 ? (events - firstCommitted) / seconds : 0;
                log.printf("%nthroughput: %,d events in %.1f s = %,.0f events/s%n", events, seconds, rate);
                return new Report.Throughput(events, round(seconds, 2), round(rate, 1),
                        round((firstNanos - app.startedNanos()) / 1e9, 2),
                        AlertReader.countRecords(bootstrapServers, ALERTS_TOPIC),
                        AlertReader.countRecords(bootstrapServers, VECTORS_TOPIC),
                        AlertReader.countRecords(bootstrapServers, DEAD_LETTER_TOPIC),
                        load0 + " -> " + Machine.currentLoadAverage(), timeline);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the app has not processed the population after " + timeout + "; behind: "
                        + p.behind());
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private Report.Footprint footprint(AppProcess app, long patients, long idleHeap) {
        long live = app.liveHeapBytes();
        long[] rss = app.rss();
        long state = AppProcess.directoryBytes(dir.resolve("state"));
        double n = Math.max(1, patients);
        return new Report.Footprint(patients, idleHeap, live, rss[0], rss[1], state,
                live < 0 ? -1 : round(Math.max(0, live - Math.max(0, idleHeap)) / n, 1),
                rss[0] < 0 ? -1 : round(rss[0] / n, 1), round(state / n, 1));
    }

    /**
     * Sends {@code records} at {@code perSecond} on a fixed schedule (open loop: a late send never delays the
     * next ones), and takes, for each alert, its read time minus its trigger record's append time.
     */
    private Report.Latency latency(AppProcess app, OffsetWatch watch, String bootstrapServers, String registryUrl,
            String rateName, double perSecond, List<FhirResourceRecord> records, Duration timeout)
            throws InterruptedException {
        log.printf("latency at %s: %,d events at %.0f/s%n", rateName, records.size(), perSecond);
        awaitCaughtUp(app, watch, timeout);
        String load0 = Machine.currentLoadAverage();
        Map<String, Long> appended = new ConcurrentHashMap<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<AlertReader.Seen> seen;
        long firstSend;
        long lastSend;
        try (AlertReader reader = new AlertReader(bootstrapServers, registryUrl, ALERTS_TOPIC);
                Producer<byte[], byte[]> producer = pacedProducer(bootstrapServers)) {
            firstSend = System.nanoTime();
            lastSend = firstSend;
            for (int i = 0; i < records.size(); i++) {
                long due = firstSend + (long) (i * 1e9 / perSecond);
                for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                    LockSupport.parkNanos(wait);
                }
                FhirResourceRecord r = records.get(i);
                String source = r.resourceType() + "/" + r.id();
                producer.send(record(r), (metadata, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    } else {
                        appended.putIfAbsent(source, metadata.timestamp());
                    }
                });
                lastSend = System.nanoTime();
                app.checkAliveEvery(i, "latency run at " + rateName);
            }
            producer.flush();
            if (failure.get() != null) {
                throw new IllegalStateException("sending at " + rateName + " failed: " + failure.get(), failure.get());
            }
            awaitCaughtUp(app, watch, timeout);
            seen = reader.finish(Duration.ofMinutes(2));
        }
        double drain = (System.nanoTime() - lastSend) / 1e9;
        double achieved = records.size() > 1 ? (records.size() - 1) / ((lastSend - firstSend) / 1e9) : perSecond;
        long[] latencies = seen.stream().filter(s -> s.sourceResource() != null && appended.containsKey(s.sourceResource()))
                .mapToLong(s -> Math.max(0, s.readMillis() - appended.get(s.sourceResource()))).sorted().toArray();
        Report.Latency result = new Report.Latency(rateName, round(perSecond, 1), round(achieved, 1), records.size(),
                seen.size(), latencies.length, percentile(latencies, 50), percentile(latencies, 95),
                percentile(latencies, 99), latencies.length == 0 ? -1 : latencies[latencies.length - 1], round(drain, 2),
                load0 + " -> " + Machine.currentLoadAverage());
        log.printf("  %,d alerts, %,d matched: p50 %.0f ms, p95 %.0f ms, p99 %.0f ms (sent at %.0f/s, drained %.1f s after)%n",
                result.alerts(), result.matched(), result.p50Ms(), result.p95Ms(), result.p99Ms(), achieved, drain);
        return result;
    }

    /** Nearest-rank percentile of sorted values; -1 when there are none. */
    static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
    }

    /** No batching delay: a record is sent when it is due. */
    private static Producer<byte[], byte[]> pacedProducer(String bootstrapServers) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "kindred-e2e-paced");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static ProducerRecord<byte[], byte[]> record(FhirResourceRecord r) {
        String key = Population.patientKey(r);
        return new ProducerRecord<>(Population.topicOf(r), key == null ? null : key.getBytes(StandardCharsets.UTF_8), r.json());
    }

    private void awaitCaughtUp(AppProcess app, OffsetWatch watch, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            app.checkAlive("processing");
            OffsetWatch.Progress p = watch.progress();
            if (p.caughtUp()) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the app has not caught up after " + timeout + "; behind: " + p.behind());
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /**
     * Tops the population up to the planned number of patients, stops the app, waits for it to leave its group, then
     * starts a new process on the same state directory with a probe record waiting: an out-of-range glucose of a
     * known patient, dated now (so no earlier alert suppresses it). The time to its alert is the time to the first
     * answered search: the stream thread runs only once the global index store is restored.
     */
    private Report.Restart restart(AtomicReference<AppProcess> app, Map<String, String> settings, OffsetWatch watch,
            String bootstrapServers, String registryUrl, Plan plan, long idleHeap) throws IOException, InterruptedException {
        long topUpEvents = 0;
        double topUpRate = 0;
        long patients = plan.preloadPatients();
        if (plan.restartTopUp() != null) {
            List<FhirResourceRecord> topUp = plan.restartTopUp().records();
            log.printf("restart: loading %,d more patients (%,d records)%n", plan.restartTopUp().patients(), topUp.size());
            awaitCaughtUp(app.get(), watch, plan.timeout());
            long committed0 = watch.progress().inputCommitted();
            long t0 = System.nanoTime();
            load(bootstrapServers, topUp);
            awaitCaughtUp(app.get(), watch, plan.timeout());
            topUpEvents = topUp.size();
            topUpRate = round((watch.progress().inputCommitted() - committed0) / ((System.nanoTime() - t0) / 1e9), 1);
            patients += plan.restartTopUp().patients();
            log.printf("restart: %,d further records processed at %,.0f events/s%n", topUpEvents, topUpRate);
        } else {
            awaitCaughtUp(app.get(), watch, plan.timeout());
        }
        Report.Footprint footprint = footprint(app.get(), patients, idleHeap);

        app.get().stop(STOP_GRACE);
        long waitStart = System.nanoTime();
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (watch.groupMembers() > 0) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the stopped app is still a member of its consumer group after 3 minutes");
            }
            Thread.sleep(POLL.toMillis());
        }
        double waited = (System.nanoTime() - waitStart) / 1e9;

        String patientKey = plan.preload().stream().map(Population::patientKey).filter(k -> k != null).findFirst()
                .orElseThrow(() -> new IllegalStateException("no patient to probe"));
        String probeId = "kindred-e2e-probe-" + System.currentTimeMillis();
        String probe = """
                {"resourceType":"Observation","id":"%s","status":"final",\
                "code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},\
                "subject":{"reference":"Patient/%s"},"effectiveDateTime":"%s",\
                "valueQuantity":{"value":400,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}"""
                .formatted(probeId, patientKey, Instant.now().truncatedTo(ChronoUnit.SECONDS));
        String source = "Observation/" + probeId;
        try (AlertReader reader = new AlertReader(bootstrapServers, registryUrl, ALERTS_TOPIC);
                Producer<byte[], byte[]> producer = pacedProducer(bootstrapServers)) {
            try {
                producer.send(new ProducerRecord<>(FhirTopics.forType("Observation"),
                        patientKey.getBytes(StandardCharsets.UTF_8), probe.getBytes(StandardCharsets.UTF_8))).get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("cannot send the restart probe: " + e.getCause(), e.getCause());
            }
            log.printf("restart: starting the app on its state directory (%,d patients)%n", patients);
            app.set(startApp(settings, "app-restarted"));
            long started = app.get().startedNanos();
            Instant answerDeadline = Instant.now().plus(plan.timeout());
            while (true) {
                app.get().checkAlive("restarting");
                for (AlertReader.Seen s : reader.seen()) {
                    if (source.equals(s.sourceResource())) {
                        double seconds = (System.nanoTime() - started) / 1e9;
                        log.printf("restart: first answered search %.1f s after start (%d similar patients)%n", seconds,
                                s.similarPatients());
                        return new Report.Restart(patients, topUpEvents, topUpRate, footprint, round(waited, 1),
                                round(seconds, 2), s.similarPatients(),
                                "time from starting the process to the alert of a probe record (sent before the start) being readable");
                    }
                }
                if (Instant.now().isAfter(answerDeadline)) {
                    throw new IllegalStateException("no alert for the restart probe after " + plan.timeout());
                }
                Thread.sleep(20);
            }
        }
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    static Set<String> distinctPatients(List<FhirResourceRecord> records) {
        Set<String> keys = new HashSet<>();
        for (FhirResourceRecord r : records) {
            String k = Population.patientKey(r);
            if (k != null) {
                keys.add(k);
            }
        }
        return keys;
    }
}
