package dev.kindred.benchmarks.endtoend;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.PatientState;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.clinical.pipeline.InMemoryPatientIndex;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.clinical.pipeline.PipelineSettings;
import dev.kindred.connectors.files.FhirResourceRecord;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.index.HnswParameters;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cost per stage, measured in this JVM with the classes the stream runs (built-in catalog and rules, default
 * settings), one thread, over the same records in replay order, as {@code PipelineEquivalenceTest} drives them:
 * one fact at a time at stream time, vectors into an {@link InMemoryPatientIndex}, courses judged when the clock
 * passes their deadline.
 *
 * <p>Only public calls are timed, so the split survives changes inside them. {@link PatientPipeline#process}
 * is state update, suppression and, for each alert, vectors, search and alert building in one call; the state
 * update is timed on its own in a first pass ({@link PatientPipeline#load} on fresh states, which evolve
 * identically), and "search and alert" is what is left of {@code process}. "vectorize" and "index upsert" are
 * what the stream does for each changed patient it publishes: the vectors, then the upsert with the outcome
 * payload. Kafka, the state store's serialization, repartitioning and commits are not here: they are the
 * difference between this total and the end-to-end time per event.
 */
final class StageProfile {
    static final String PARSE_AND_MAP = "parse and map";
    static final String STATE_UPDATE = "state update";
    static final String VECTORIZE = "vectorize";
    static final String INDEX_UPSERT = "index upsert";
    static final String SEARCH_AND_ALERT = "search and alert";

    /**
     * @param events  records run through
     * @param facts   facts they mapped to
     * @param alerts  alerts the pipeline raised
     * @param nanos   total time per stage, in the order above
     */
    record Result(long events, long facts, long alerts, Map<String, Long> nanos) {
        double microsPerEvent(String stage) {
            return nanos.get(stage) / 1e3 / Math.max(1, events);
        }

        double totalMicrosPerEvent() {
            return nanos.values().stream().mapToLong(Long::longValue).sum() / 1e3 / Math.max(1, events);
        }

        double share(String stage) {
            long total = nanos.values().stream().mapToLong(Long::longValue).sum();
            return total == 0 ? 0 : (double) nanos.get(stage) / total;
        }
    }

    private final FeatureCatalog catalog = FeatureCatalog.builtIn();
    private final PatientPipeline pipeline =
            new PatientPipeline(catalog, OutcomeRules.builtIn(), PipelineSettings.DEFAULTS);
    private final FhirMapper mapper = new FhirMapper(catalog);

    Result run(List<FhirResourceRecord> records) {
        Instant arrival = Instant.now();
        // HAPI's first parse builds its context (~1 s): not a per-event cost.
        for (int i = 0; i < Math.min(2_000, records.size()); i++) {
            mapper.map(records.get(i).json(), arrival);
        }

        long mapNanos = 0;
        List<List<ClinicalFact>> facts = new ArrayList<>(records.size());
        long factCount = 0;
        for (FhirResourceRecord r : records) {
            long t0 = System.nanoTime();
            List<ClinicalFact> mapped = mapper.map(r.json(), arrival).facts();
            mapNanos += System.nanoTime() - t0;
            facts.add(mapped);
            factCount += mapped.size();
        }

        Pass updateOnly = new Pass(false);
        updateOnly.run(facts);
        Pass full = new Pass(true);
        full.run(facts);

        Map<String, Long> nanos = new LinkedHashMap<>();
        nanos.put(PARSE_AND_MAP, mapNanos);
        nanos.put(STATE_UPDATE, updateOnly.stepNanos + full.judgeNanos);
        nanos.put(VECTORIZE, full.vectorizeNanos);
        nanos.put(INDEX_UPSERT, full.upsertNanos);
        nanos.put(SEARCH_AND_ALERT, Math.max(0, full.stepNanos - updateOnly.stepNanos));
        return new Result(records.size(), factCount, full.alerts, nanos);
    }

    /** One walk over the facts with fresh states; {@code full} runs the whole pipeline, else the state update only. */
    private final class Pass {
        final boolean full;
        final Map<String, PatientState> states = new HashMap<>();
        final TreeMap<String, String> deadlines = new TreeMap<>();
        final InMemoryPatientIndex index;
        long stepNanos;
        long judgeNanos;
        long vectorizeNanos;
        long upsertNanos;
        long alerts;

        Pass(boolean full) {
            this.full = full;
            this.index = new InMemoryPatientIndex(pipeline.settings().metric(), HnswParameters.DEFAULTS);
        }

        void run(List<List<ClinicalFact>> facts) {
            Instant clock = null;
            for (List<ClinicalFact> recordFacts : facts) {
                Instant now = Instant.now();
                for (ClinicalFact fact : recordFacts) {
                    if (PatientPipeline.advancesClock(fact) && (clock == null || fact.getEffectiveTime().isAfter(clock))) {
                        clock = fact.getEffectiveTime();
                    }
                    String key = fact.getPatientKey();
                    long t0 = System.nanoTime();
                    PatientPipeline.Step step = full
                            ? pipeline.process(states.get(key), List.of(fact), clock, index, now)
                            : pipeline.load(states.get(key), List.of(fact), clock);
                    stepNanos += System.nanoTime() - t0;
                    if (step.changed()) {
                        alerts += step.alerts().size();
                        save(step);
                    }
                    closeDueWindows(clock);
                }
            }
        }

        private void closeDueWindows(Instant clock) {
            if (clock == null) {
                return;
            }
            String until = deadlineKey(clock, "\uffff");
            while (!deadlines.isEmpty() && deadlines.firstKey().compareTo(until) <= 0) {
                String patient = deadlines.pollFirstEntry().getValue();
                long t0 = System.nanoTime();
                PatientPipeline.Step judged = pipeline.judge(states.get(patient), clock);
                judgeNanos += System.nanoTime() - t0;
                if (judged.changed()) {
                    save(judged);
                }
            }
        }

        private void save(PatientPipeline.Step step) {
            PatientState state = step.state();
            states.put(state.getPatientKey(), state);
            Instant next = pipeline.nextDeadline(state);
            if (next != null) {
                deadlines.put(deadlineKey(next, state.getPatientKey()), state.getPatientKey());
            }
            if (full) {
                long t0 = System.nanoTime();
                Map<String, List<Float>> vectors = pipeline.vectorizer().vectors(state);
                long t1 = System.nanoTime();
                vectors.forEach((space, vector) -> index.upsert(space, state.getPatientKey(), state.getVersion(),
                        PatientVectorizer.toArray(vector), pipeline.outcomes(state)));
                vectorizeNanos += t1 - t0;
                upsertNanos += System.nanoTime() - t1;
            }
        }
    }

    private static String deadlineKey(Instant deadline, String patientKey) {
        return String.format(Locale.ROOT, "%016x|%s", deadline.toEpochMilli() ^ Long.MIN_VALUE, patientKey);
    }
}
