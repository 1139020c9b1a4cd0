package dev.kindred.clinical.evaluation;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.Demographics;
import dev.kindred.avro.EffectiveTimeSource;
import dev.kindred.avro.FactKind;
import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentCourse;
import dev.kindred.avro.TreatmentEpisode;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.outcomes.OutcomeSummary;
import dev.kindred.clinical.pipeline.InMemoryPatientIndex;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.clinical.patient.VectorWeights;
import dev.kindred.clinical.recommend.Recommender;
import dev.kindred.clinical.recommend.ResponseEstimator;
import dev.kindred.clinical.recommend.ResponseMetric;
import dev.kindred.index.DistanceMetric;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.index.Neighbour;
import dev.kindred.index.VectorIndex;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Offline quality evaluation with a time split, run through the same {@link PatientPipeline} as the stream,
 * in-process, with an {@link InMemoryPatientIndex} of the population at the cutoff.
 *
 * <ol>
 *   <li>Each patient's facts are loaded in effective-time order up to the cutoff (by default the time that
 *       leaves a fifth of the recorded events after it), outcomes judged as the stream would; the state at
 *       the cutoff gives the patient's vectors and outcome summary, which go into the index. The population
 *       is every patient with a clinical vector at the cutoff and alive then.</li>
 *   <li>{@code neighbour_condition_lift}: over chronic disorders (Conditions whose display ends in
 *       "(disorder)") active after the cutoff in at least {@code minDisorderPatients} patients of the
 *       population, the macro-average of (share of a patient's k neighbours who have the disorder) /
 *       (its prevalence), over the patients who have it; also with exact search and with random
 *       neighbours.</li>
 *   <li>{@code coverage}: the rest of each patient's facts go through the pipeline, facts of the same time
 *       together, against the cutoff index; the share of the alerts raised (after suppression) that carry a
 *       recommendation.</li>
 *   <li>{@code outcome_auroc}: every treatment course started after the cutoff whose outcome became known is
 *       predicted by the neighbours' outcomes for that treatment at the cutoff (the similarity-weighted
 *       improvement rate, shrunk towards the population rate by {@value #PRIOR_WEIGHT} neighbours' worth),
 *       against {@code outcome_auroc_population}: the population rate of each treatment alone.</li>
 * </ol>
 */
public final class Evaluation {
    /** Share of the recorded events the default cutoff leaves after it. */
    public static final double HELD_OUT_SHARE = 0.2;
    /** Weight, in neighbours, of the population rate in the neighbour-based outcome estimate. */
    public static final double PRIOR_WEIGHT = 2.0;

    private final FeatureCatalog catalog;
    private final EvaluationSettings settings;
    private final PatientPipeline pipeline;
    /** The vector designs the response report compares (the pipeline's first), snapshotted at course starts. */
    private final Map<String, PatientVectorizer> responseDesigns = new LinkedHashMap<>();
    /**
     * The pipeline's design without scaling to unit length: what a response metric is learned on and applied to.
     * A unit vector holds every value divided by the patient's whole norm, so no weight on one dimension (age,
     * say) can make neighbours agree on that value itself.
     */
    private final PatientVectorizer metricDesign;
    /** The last run's judged courses with their course-start vectors ({@link #metricDesign}), to learn from. */
    private ResponseCases responseCourses;

    public Evaluation(FeatureCatalog catalog, OutcomeRules rules, EvaluationSettings settings) {
        this.catalog = catalog;
        this.settings = settings;
        this.pipeline = new PatientPipeline(catalog, rules, settings.pipeline());
        this.metricDesign = new PatientVectorizer(catalog, metricWeights(settings.pipeline().weights()));
        if (settings.responseMetric() != null) {
            requireMetricDesign(settings.responseMetric(), settings.pipeline().weights());
        }
        if (settings.response() != null) {
            responseDesigns.put(PIPELINE_DESIGN, pipeline.vectorizer());
            settings.weightCandidates().forEach((name, w) -> responseDesigns.put(name, new PatientVectorizer(catalog, w)));
        }
    }

    /** The weights a response metric is learned on and applied to, given the pipeline's. */
    public static VectorWeights metricWeights(VectorWeights pipeline) {
        return pipeline.toBuilder().unitLength(false).build();
    }

    /**
     * Refuses a metric learned on vectors of another design than this pipeline's metric design (a metric from
     * before the design was recorded included): its weights would be applied to numbers of another scale.
     */
    public static void requireMetricDesign(ResponseMetric metric, VectorWeights pipeline) {
        String expected = metricWeights(pipeline).toString();
        if (!expected.equals(metric.design())) {
            throw new IllegalArgumentException("the metric was learned on vectors of "
                    + (metric.design() == null ? "an unrecorded design" : metric.design()) + ", this evaluation's are "
                    + expected + ": learn it again from cases written with these weights (--response-cases-out)");
        }
    }

    /** The name of the pipeline's own vector design among the response report's designs. */
    static final String PIPELINE_DESIGN = "(pipeline)";
    /** The name of {@link #metricDesign}'s course-start vectors (not one of the compared designs). */
    static final String METRIC_DESIGN = "(metric)";

    /** The default cutoff: the effective time that leaves {@link #HELD_OUT_SHARE} of the timed events after it. */
    public static Instant defaultCutoff(Map<String, List<ClinicalFact>> facts) {
        List<Long> times = timeline(facts);
        if (times.isEmpty()) {
            throw new IllegalArgumentException("no timed facts to evaluate");
        }
        return Instant.ofEpochMilli(times.get((int) Math.floor((1 - HELD_OUT_SHARE) * (times.size() - 1))));
    }

    private static List<Long> timeline(Map<String, List<ClinicalFact>> facts) {
        List<Long> times = new ArrayList<>();
        for (List<ClinicalFact> list : facts.values()) {
            for (ClinicalFact f : list) {
                if (timed(f)) {
                    times.add(f.getEffectiveTime().toEpochMilli());
                }
            }
        }
        Collections.sort(times);
        return times;
    }

    private static boolean timed(ClinicalFact f) {
        return f.getKind() != FactKind.DEMOGRAPHICS && f.getEffectiveTimeSource() != EffectiveTimeSource.ARRIVAL;
    }

    /** A patient's facts in the order a replay sends them: demographics first, then by effective time. */
    static List<ClinicalFact> ordered(List<ClinicalFact> facts) {
        List<ClinicalFact> out = new ArrayList<>(facts);
        out.sort(Comparator.comparing((ClinicalFact f) -> f.getKind() == FactKind.DEMOGRAPHICS ? 0 : 1)
                .thenComparing(ClinicalFact::getEffectiveTime));
        return out;
    }

    /** A course decided after the cutoff: the treatment, what it was for, and whether it improved. */
    record Decided(String treatment, String reason, Instant start, boolean improved, String rule) {
    }

    /** One patient's walk through time. */
    private final class PatientRun {
        final String key;
        final List<ClinicalFact> facts;
        int next;
        PatientState state;
        /** Courses started after the cutoff whose outcome became known, as they were first seen decided. */
        final Map<String, Decided> decided = new LinkedHashMap<>();
        /**
         * Each course episode's vectors (by design) as the patient was when it started, by course@start: the
         * state a prescriber decides on. Only with a response report.
         */
        final Map<String, Map<String, float[]>> startVectors = new HashMap<>();

        PatientRun(String key, List<ClinicalFact> facts) {
            this.key = key;
            this.facts = ordered(facts);
        }

        /** Loads the facts up to and including {@code until}, judging at each fact's own time. */
        void loadUntil(Instant until) {
            while (next < facts.size()) {
                ClinicalFact f = facts.get(next);
                if (f.getKind() != FactKind.DEMOGRAPHICS && f.getEffectiveTime().isAfter(until)) {
                    return;
                }
                next++;
                Instant clock = PatientPipeline.advancesClock(f) ? f.getEffectiveTime() : null;
                state = pipeline.load(state, List.of(f), clock).state();
                // After the last fact of a time, so the start visit's measurements are in the snapshot.
                if (next == facts.size() || !facts.get(next).getEffectiveTime().equals(f.getEffectiveTime())) {
                    snapshotCourseStarts();
                }
            }
        }

        /** Takes the vectors of the episodes that appeared since the last call. */
        void snapshotCourseStarts() {
            if (responseDesigns.isEmpty() || state == null) {
                return;
            }
            Map<String, float[]> now = null;
            for (Map.Entry<String, TreatmentCourse> course : state.getTreatments().entrySet()) {
                for (TreatmentEpisode e : course.getValue().getEpisodes()) {
                    String id = course.getKey() + "@" + e.getStart().toEpochMilli();
                    if (!startVectors.containsKey(id)) {
                        if (now == null) {
                            now = new HashMap<>();
                            for (Map.Entry<String, PatientVectorizer> d : responseDesigns.entrySet()) {
                                now.put(d.getKey(), vectorOf(d.getValue(), state));
                            }
                            now.put(METRIC_DESIGN, vectorOf(metricDesign, state));
                        }
                        startVectors.put(id, now);
                    }
                }
            }
        }

        /** The facts of the next effective time, together. */
        List<ClinicalFact> nextGroup() {
            Instant time = facts.get(next).getEffectiveTime();
            int end = next;
            while (end < facts.size() && facts.get(end).getEffectiveTime().equals(time)) {
                end++;
            }
            List<ClinicalFact> group = facts.subList(next, end);
            next = end;
            return group;
        }

        /** Remembers the courses started after {@code cutoff} that the state now holds as decided. */
        void recordDecided(Instant cutoff) {
            for (Map.Entry<String, TreatmentCourse> course : state.getTreatments().entrySet()) {
                for (TreatmentEpisode e : course.getValue().getEpisodes()) {
                    if (e.getStatus() != OutcomeStatus.UNKNOWN && e.getStart().isAfter(cutoff)) {
                        decided.putIfAbsent(course.getKey() + "@" + e.getStart().toEpochMilli(), new Decided(
                                course.getKey(), OutcomeSummary.primaryReason(e, state.getDiagnoses()),
                                e.getStart(), e.getStatus() == OutcomeStatus.IMPROVED, e.getRule()));
                    }
                }
            }
        }
    }

    public EvaluationReport run(Map<String, List<ClinicalFact>> facts) {
        Instant cutoff = settings.cutoff() != null ? settings.cutoff() : defaultCutoff(facts);
        List<Long> times = timeline(facts);
        Instant end = Instant.ofEpochMilli(times.get(times.size() - 1));
        PatientVectorizer vectorizer = pipeline.vectorizer();
        String clinical = vectorizer.clinicalSpace();

        // 1. States at the cutoff; the population and its index.
        Map<String, PatientRun> runs = new TreeMap<>();
        facts.forEach((key, list) -> runs.put(key, new PatientRun(key, list)));
        Map<String, PatientState> atCutoff = new TreeMap<>();
        Map<String, float[]> vectors = new TreeMap<>();
        for (PatientRun run : runs.values()) {
            run.loadUntil(cutoff);
            if (run.state == null) {
                continue;
            }
            run.state = pipeline.judge(run.state, cutoff).state();
            atCutoff.put(run.key, run.state);
            List<Float> v = vectorizer.vectors(run.state).get(clinical);
            if (v != null && alive(run.state.getDemographics(), cutoff)) {
                vectors.put(run.key, PatientVectorizer.toArray(v));
            }
        }
        if (vectors.isEmpty()) {
            throw new IllegalArgumentException("no patient has a clinical vector before the cutoff " + cutoff);
        }
        List<String> population = new ArrayList<>(vectors.keySet());
        InMemoryPatientIndex cutoffIndex = new InMemoryPatientIndex(settings.pipeline().metric(), settings.hnsw());
        Map<String, List<TreatmentOutcome>> payloads = new HashMap<>();
        for (String key : population) {
            List<TreatmentOutcome> payload = pipeline.outcomes(atCutoff.get(key));
            payloads.put(key, payload);
            cutoffIndex.upsert(clinical, key, atCutoff.get(key).getVersion(), vectors.get(key), payload);
        }
        VectorIndex<List<TreatmentOutcome>> index = cutoffIndex.index(clinical);

        // 2. Neighbours: approximate, exact, random.
        int k = Math.min(settings.k(), population.size() - 1);
        Map<String, List<Neighbour<List<TreatmentOutcome>>>> approx = new HashMap<>();
        Map<String, List<String>> exact = new HashMap<>();
        Map<String, List<String>> random = new HashMap<>();
        Random rng = new Random(settings.seed());
        double recallSum = 0;
        for (String key : population) {
            List<Neighbour<List<TreatmentOutcome>>> a = index.search(vectors.get(key), k, i -> !i.key().equals(key));
            List<String> e = index.exactSearch(vectors.get(key), k, i -> !i.key().equals(key)).stream()
                    .map(Neighbour::key).toList();
            approx.put(key, a);
            exact.put(key, e);
            Set<String> ek = new HashSet<>(e);
            recallSum += e.isEmpty() ? 1 : a.stream().filter(n -> ek.contains(n.key())).count() / (double) e.size();
            List<String> others = new ArrayList<>(population);
            others.remove(key);
            Collections.shuffle(others, rng);
            random.put(key, others.subList(0, k));
        }

        // 3. Disorders active after the cutoff, and the lifts.
        Set<String> inPopulation = new HashSet<>(population);
        Map<String, String> disorderNames = new HashMap<>();
        Map<String, Set<String>> disorderPatients = disordersAfter(facts, inPopulation, cutoff, end, disorderNames);
        Map<String, List<String>> approxKeys = new HashMap<>();
        approx.forEach((key, list) -> approxKeys.put(key, list.stream().map(Neighbour::key).toList()));
        List<EvaluationReport.DisorderLift> lifts = new ArrayList<>();
        for (Map.Entry<String, Set<String>> d : disorderPatients.entrySet()) {
            Set<String> having = d.getValue();
            double prevalence = (double) having.size() / population.size();
            lifts.add(new EvaluationReport.DisorderLift(d.getKey(), disorderNames.get(d.getKey()), having.size(),
                    prevalence, lift(having, prevalence, approxKeys), lift(having, prevalence, exact),
                    lift(having, prevalence, random)));
        }
        Double baselineLatest = null;
        Double baselineAgeSex = null;
        if (settings.baselines()) {
            baselineLatest = baselineLift(VectorWeights.LATEST_VALUES_ONLY, population, atCutoff, disorderPatients);
            baselineAgeSex = baselineLift(VectorWeights.DEMOGRAPHICS_ONLY, population, atCutoff, disorderPatients);
        }

        // 4. After the cutoff: the pipeline's alerts (coverage) and the outcomes of courses started after it.
        int alerts = 0;
        int covered = 0;
        for (PatientRun run : runs.values()) {
            while (run.next < run.facts.size()) {
                List<ClinicalFact> group = run.nextGroup();
                Instant time = group.get(0).getEffectiveTime();
                PatientPipeline.Step step = pipeline.process(run.state, group, time, cutoffIndex, time);
                run.state = step.state();
                run.snapshotCourseStarts();
                for (ClinicalAlert alert : step.alerts()) {
                    alerts++;
                    covered += alert.getRecommendations().isEmpty() ? 0 : 1;
                }
                if (step.judged()) {
                    run.recordDecided(cutoff);
                }
            }
            if (run.state != null && inPopulation.contains(run.key)) {
                PatientPipeline.Step last = pipeline.judge(run.state, end);
                run.state = last.state();
                if (last.judged()) {
                    run.recordDecided(cutoff);
                }
            }
        }
        if (!responseDesigns.isEmpty()) {
            responseCourses = judgedCourses(runs);
        }
        PopulationRates populationRates = new PopulationRates(payloads);
        OutcomePrediction prediction = predictOutcomes(runs, inPopulation, approx, populationRates);
        ResponseReport response = settings.response() == null ? null
                : responseReport(runs, inPopulation, vectors, populationRates, payloads, atCutoff, disorderPatients);
        return new EvaluationReport(facts.size(), population.size(), k, cutoff, end, mean(lifts,
                EvaluationReport.DisorderLift::lift), mean(lifts, EvaluationReport.DisorderLift::liftExact),
                mean(lifts, EvaluationReport.DisorderLift::liftRandom), baselineLatest, baselineAgeSex,
                recallSum / population.size(), Auroc.of(prediction.byNeighbours()), Auroc.of(prediction.byPopulation()),
                Auroc.of(prediction.byPopulationAndReason()), prediction.byNeighbours().size(), prediction.improved(),
                alerts, covered, lifts, prediction.casesByRule(), response);
    }

    /**
     * The last run's judged courses, every patient and every time, each with the pipeline design's vector when
     * it started: training data for a response metric, to be taken from development populations only. Null
     * before a run with a response report.
     */
    public ResponseCases responseCourses() {
        return responseCourses;
    }

    private ResponseCases judgedCourses(Map<String, PatientRun> runs) {
        List<ResponseCases.Course> courses = new ArrayList<>();
        for (PatientRun run : runs.values()) {
            if (run.state == null) {
                continue;
            }
            for (Map.Entry<String, TreatmentCourse> course : run.state.getTreatments().entrySet()) {
                for (TreatmentEpisode e : course.getValue().getEpisodes()) {
                    Map<String, float[]> atStart = run.startVectors.get(course.getKey() + "@" + e.getStart().toEpochMilli());
                    if (e.getStatus() != OutcomeStatus.UNKNOWN && atStart != null) {
                        courses.add(new ResponseCases.Course(run.key, course.getKey(),
                                e.getStatus() == OutcomeStatus.IMPROVED, atStart.get(METRIC_DESIGN)));
                    }
                }
            }
        }
        return new ResponseCases("seed " + settings.seed(), metricDesign.weights().toString(),
                metricDesign.dimensions(metricDesign.clinicalSpace()), courses);
    }

    /**
     * Every course judged after the cutoff estimated by the {@link ResponseEstimator} from the nearest neighbours
     * among those with a known outcome of that treatment (the filter inside the index search), two ways: with
     * everyone's vectors at the cutoff (the stream's index), and with the vectors each patient had when each
     * course started, the query's own course included (what a prescriber decides on; the neighbours are the
     * courses decided by the cutoff). Each vector design (the pipeline's, then the weight search's candidates)
     * is scored both ways; the pipeline's design, the way the settings choose, gets the full report.
     */
    private ResponseReport responseReport(Map<String, PatientRun> runs, Set<String> inPopulation,
            Map<String, float[]> vectors, PopulationRates rates, Map<String, List<TreatmentOutcome>> payloads,
            Map<String, PatientState> atCutoff, Map<String, Set<String>> disorderPatients) {
        ResponseEstimator estimator = new ResponseEstimator(settings.response());
        Map<String, String> displays = new TreeMap<>();
        payloads.values().forEach(list -> list.forEach(o -> displays.putIfAbsent(
                OutcomeRules.key(o.getSystem(), o.getCode()), o.getDisplay())));
        Set<String> judgedTreatments = new HashSet<>();
        runs.values().forEach(r -> r.decided.values().forEach(d -> judgedTreatments.add(d.treatment())));
        String chosen = settings.responseAtCourseStart() ? ResponseReport.AT_COURSE_START : ResponseReport.AT_CUTOFF;
        List<ResponseReport.WeightTrial> trials = new ArrayList<>();
        List<String> population = new ArrayList<>(vectors.keySet());
        List<ResponseReport.Case> reported = null;
        NeighbourSource pipelineAtStart = null;
        double pipelineLift = Double.NaN;
        for (Map.Entry<String, PatientVectorizer> design : responseDesigns.entrySet()) {
            String name = design.getKey();
            PatientVectorizer vectorizer = design.getValue();
            String space = vectorizer.clinicalSpace();
            InMemoryPatientIndex cutoffIndex = new InMemoryPatientIndex(settings.pipeline().metric(), settings.hnsw());
            Map<String, float[]> cutoffVectors = new HashMap<>();
            for (String key : population) {
                float[] vector = vectorOf(vectorizer, atCutoff.get(key));
                cutoffVectors.put(key, vector);
                cutoffIndex.upsert(space, key, atCutoff.get(key).getVersion(), vector, payloads.get(key));
            }
            InMemoryPatientIndex startIndex = courseStartIndex(name, space, runs, population, atCutoff,
                    judgedTreatments, null);
            Map<String, List<ResponseReport.Case>> byWay = new LinkedHashMap<>();
            NeighbourSource atStart = new NeighbourSource() {
                public VectorIndex<List<TreatmentOutcome>> index(String treatment) {
                    return startIndex.index(space);
                }

                public float[] query(PatientRun run, String course, String treatment) {
                    Map<String, float[]> start = run.startVectors.get(course);
                    return start != null ? start.get(name) : cutoffVectors.get(run.key);
                }
            };
            byWay.put(ResponseReport.AT_CUTOFF, responseCases(estimator, runs, inPopulation, new NeighbourSource() {
                public VectorIndex<List<TreatmentOutcome>> index(String treatment) {
                    return cutoffIndex.index(space);
                }

                public float[] query(PatientRun run, String course, String treatment) {
                    return cutoffVectors.get(run.key);
                }
            }, rates));
            byWay.put(ResponseReport.AT_COURSE_START, responseCases(estimator, runs, inPopulation, atStart, rates));
            Map<String, List<String>> exact = exactNeighbours(population, cutoffVectors);
            double lift = disorderPatients.entrySet().stream().mapToDouble(d -> lift(d.getValue(),
                    (double) d.getValue().size() / population.size(), exact))
                    .average().orElse(Double.NaN);
            for (Map.Entry<String, List<ResponseReport.Case>> way : byWay.entrySet()) {
                // With intervals too: the design is chosen on development seeds and reported, intervals and all,
                // from the trial on unseen ones.
                ResponseReport scored = ResponseReport.of(way.getValue(), displays, settings.response(),
                        settings.responseMinCases(), settings.bootstrapResamples(), settings.seed(), List.of())
                        .withVectorsAt(way.getKey());
                trials.add(new ResponseReport.WeightTrial(name, vectorizer.weights().toString(), way.getKey(),
                        scored.meanWithinAuroc(), scored.pooled().aurocNeighbours(), lift, scored.withinAurocs(),
                        scored));
            }
            if (name.equals(PIPELINE_DESIGN)) {
                reported = byWay.get(chosen);
                pipelineAtStart = atStart;
                pipelineLift = lift;
            }
        }
        ResponseMetric metric = settings.responseMetric();
        if (metric == null) {
            return ResponseReport.of(reported, displays, settings.response(), settings.responseMinCases(),
                    settings.bootstrapResamples(), settings.seed(), trials).withVectorsAt(chosen);
        }
        // The learned metric: each covered treatment's courses in a space of their own, projected from the
        // metric design; the other treatments as the pipeline's design at course start.
        List<String> dims = metricDesign.dimensions(metricDesign.clinicalSpace());
        Map<String, ResponseMetric.Projector> projectors = new HashMap<>();
        metric.treatments().forEach(t -> projectors.put(t, metric.projector(t, dims)));
        InMemoryPatientIndex learnedIndex = courseStartIndex(METRIC_DESIGN, null, runs, population, atCutoff,
                projectors.keySet(), projectors);
        NeighbourSource fallback = pipelineAtStart;
        List<ResponseReport.Case> learned = responseCases(estimator, runs, inPopulation, new NeighbourSource() {
            boolean learned(String treatment) {
                return projectors.containsKey(treatment) && learnedIndex.index(treatment) != null;
            }

            public VectorIndex<List<TreatmentOutcome>> index(String treatment) {
                return learned(treatment) ? learnedIndex.index(treatment) : fallback.index(treatment);
            }

            public float[] query(PatientRun run, String course, String treatment) {
                if (!learned(treatment)) {
                    return fallback.query(run, course, treatment);
                }
                Map<String, float[]> start = run.startVectors.get(course);
                float[] v = start != null ? start.get(METRIC_DESIGN) : vectorOf(metricDesign, atCutoff.get(run.key));
                return projectors.get(treatment).project(v);
            }
        }, rates);
        ResponseReport scored = ResponseReport.of(learned, displays, settings.response(), settings.responseMinCases(),
                settings.bootstrapResamples(), settings.seed(), List.of()).withVectorsAt(ResponseReport.AT_COURSE_START);
        trials.add(new ResponseReport.WeightTrial(LEARNED_METRIC, metric.treatments().size()
                + " treatments' learned weights over the pipeline design", ResponseReport.AT_COURSE_START,
                scored.meanWithinAuroc(), scored.pooled().aurocNeighbours(), pipelineLift, scored.withinAurocs(),
                scored));
        return ResponseReport.of(learned, displays, settings.response(), settings.responseMinCases(),
                settings.bootstrapResamples(), settings.seed(), trials).withVectorsAt(ResponseReport.AT_COURSE_START)
                .withMetric(LEARNED_METRIC);
    }

    /** The name of the learned response metric's trial. */
    static final String LEARNED_METRIC = "learned-metric";

    /**
     * One entry per course decided by the cutoff (of a treatment judged after it), keyed patient#course@start:
     * the patient's vector of {@code design} when the course started, and that course's outcome alone. With
     * {@code projectors}, each treatment's courses go projected into a Euclidean space named after it.
     */
    private InMemoryPatientIndex courseStartIndex(String design, String space, Map<String, PatientRun> runs,
            List<String> population, Map<String, PatientState> atCutoff, Set<String> treatments,
            Map<String, ResponseMetric.Projector> projectors) {
        InMemoryPatientIndex index = new InMemoryPatientIndex(projectors == null ? settings.pipeline().metric()
                : DistanceMetric.EUCLIDEAN, settings.hnsw());
        for (String key : population) {
            PatientState state = atCutoff.get(key);
            PatientRun run = runs.get(key);
            for (Map.Entry<String, TreatmentCourse> entry : state.getTreatments().entrySet()) {
                if (!treatments.contains(entry.getKey())) {
                    continue;
                }
                TreatmentCourse course = entry.getValue();
                for (TreatmentEpisode e : course.getEpisodes()) {
                    String id = entry.getKey() + "@" + e.getStart().toEpochMilli();
                    Map<String, float[]> atStart = run.startVectors.get(id);
                    if (e.getStatus() == OutcomeStatus.UNKNOWN || atStart == null) {
                        continue;
                    }
                    String reason = OutcomeSummary.primaryReason(e, state.getDiagnoses());
                    TreatmentOutcome outcome = TreatmentOutcome.newBuilder()
                            .setCode(course.getCode())
                            .setSystem(course.getSystem())
                            .setDisplay(course.getDisplay())
                            .setStartedAt(e.getStart())
                            .setStatus(e.getStatus())
                            .setRule(e.getRule())
                            .setDecidedAt(e.getDecidedAt())
                            .setReasons(reason == null ? List.of() : List.of(reason))
                            .build();
                    float[] vector = atStart.get(design);
                    if (projectors == null) {
                        index.upsert(space, key + "#" + id, state.getVersion(), vector, List.of(outcome));
                    } else {
                        index.upsert(entry.getKey(), key + "#" + id, state.getVersion(),
                                projectors.get(entry.getKey()).project(vector), List.of(outcome));
                    }
                }
            }
        }
        return index;
    }

    /** A patient's vector of one design; zeros when the design gives none. */
    private static float[] vectorOf(PatientVectorizer design, PatientState state) {
        String space = design.clinicalSpace();
        List<Float> v = design.vectors(state).get(space);
        return v == null ? new float[design.dimensions(space).size()] : PatientVectorizer.toArray(v);
    }

    /** Where a course's treated neighbours are searched and with which query vector. */
    private interface NeighbourSource {
        VectorIndex<List<TreatmentOutcome>> index(String treatment);

        float[] query(PatientRun run, String course, String treatment);
    }

    private List<ResponseReport.Case> responseCases(ResponseEstimator estimator, Map<String, PatientRun> runs,
            Set<String> inPopulation, NeighbourSource source, PopulationRates rates) {
        List<ResponseReport.Case> cases = new ArrayList<>();
        for (PatientRun run : runs.values()) {
            if (run.state == null || !inPopulation.contains(run.key)) {
                continue;
            }
            String own = run.key + "#";
            for (Map.Entry<String, Decided> course : run.decided.entrySet()) {
                Decided d = course.getValue();
                Predicate<List<TreatmentOutcome>> treated = ResponseEstimator.treatedWith(d.treatment());
                List<ResponseEstimator.TreatedNeighbour> neighbours = new ArrayList<>();
                VectorIndex<List<TreatmentOutcome>> index = source.index(d.treatment());
                for (Neighbour<List<TreatmentOutcome>> n : index == null ? List.<Neighbour<List<TreatmentOutcome>>>of()
                        : index.search(source.query(run, course.getKey(), d.treatment()),
                                estimator.settings().neighbours(), i -> !i.key().equals(run.key)
                                        && !i.key().startsWith(own) && treated.test(i.payload()))) {
                    neighbours.add(new ResponseEstimator.TreatedNeighbour(n.key(), n.distance(), n.payload()));
                }
                double prior = rates.rate(d.treatment(), null);
                ResponseEstimator.Estimate e = estimator.estimate(neighbours, d.treatment(), d.reason(), prior);
                cases.add(new ResponseReport.Case(d.treatment(), e.rate(), prior, d.improved(), e.effectiveSize(),
                        e.neighbours() > 0 && e.effectiveSize() >= estimator.settings().minEffectiveSize()));
            }
        }
        return cases;
    }

    /** Exact k nearest of each patient, ties broken by key so the result is reproducible. */
    private Map<String, List<String>> exactNeighbours(List<String> population, Map<String, float[]> vs) {
        Map<String, List<String>> neighbours = new HashMap<>();
        int k = Math.min(settings.k(), population.size() - 1);
        for (String key : population) {
            float[] q = vs.get(key);
            List<String> others = new ArrayList<>(population);
            others.remove(key);
            others.sort(Comparator.comparingDouble((String o) -> settings.pipeline().metric().distance(q, vs.get(o)))
                    .thenComparing(Function.identity()));
            neighbours.put(key, others.subList(0, k));
        }
        return neighbours;
    }

    /** The outcome cases, scored by the neighbours, by the population rate and by the rate given the reason. */
    private record OutcomePrediction(List<Auroc.Case> byNeighbours, List<Auroc.Case> byPopulation,
            List<Auroc.Case> byPopulationAndReason, int improved, Map<String, Integer> casesByRule) {
    }

    private OutcomePrediction predictOutcomes(Map<String, PatientRun> runs, Set<String> inPopulation,
            Map<String, List<Neighbour<List<TreatmentOutcome>>>> approx, PopulationRates populationRates) {
        List<Auroc.Case> byNeighbours = new ArrayList<>();
        List<Auroc.Case> byPopulation = new ArrayList<>();
        List<Auroc.Case> byPopulationAndReason = new ArrayList<>();
        Map<String, Integer> casesByRule = new TreeMap<>();
        int improved = 0;
        for (PatientRun run : runs.values()) {
            if (run.state == null || !inPopulation.contains(run.key)) {
                continue;
            }
            List<Recommender.Evidence> neighbourEvidence = evidence(approx.get(run.key));
            for (Decided d : run.decided.values()) {
                improved += d.improved() ? 1 : 0;
                casesByRule.merge(String.valueOf(d.rule()), 1, Integer::sum);
                double prior = populationRates.rate(d.treatment(), null);
                // What the treatment was given for is known when it is given: the recommender's focus.
                Recommender.Tally t = Recommender.tally(neighbourEvidence, new Recommender.Focus(null, d.reason()))
                        .get(d.treatment());
                double estimate = t == null || t.withOutcome() == 0 ? prior
                        : (t.withOutcome() * t.weightedRate() + PRIOR_WEIGHT * prior) / (t.withOutcome() + PRIOR_WEIGHT);
                byNeighbours.add(new Auroc.Case(estimate, d.improved()));
                byPopulation.add(new Auroc.Case(prior, d.improved()));
                byPopulationAndReason.add(new Auroc.Case(populationRates.rate(d.treatment(), d.reason()),
                        d.improved()));
            }
        }
        return new OutcomePrediction(byNeighbours, byPopulation, byPopulationAndReason, improved, casesByRule);
    }

    /** Chronic disorders of the population active after the cutoff, with enough patients, by system|code. */
    private Map<String, Set<String>> disordersAfter(Map<String, List<ClinicalFact>> facts, Set<String> inPopulation,
            Instant cutoff, Instant end, Map<String, String> names) {
        Map<String, Set<String>> disorderPatients = new TreeMap<>();
        facts.forEach((key, list) -> {
            if (!inPopulation.contains(key)) {
                return;
            }
            for (ClinicalFact f : list) {
                if (f.getKind() == FactKind.DIAGNOSIS && !f.getRetracted() && f.getDisplay() != null
                        && f.getDisplay().trim().endsWith("(disorder)") && !f.getEffectiveTime().isAfter(end)
                        && (f.getEndTime() == null || f.getEndTime().isAfter(cutoff))) {
                    String code = OutcomeRules.key(f.getSystem(), f.getCode());
                    disorderPatients.computeIfAbsent(code, c -> new HashSet<>()).add(key);
                    names.putIfAbsent(code, f.getDisplay());
                }
            }
        });
        disorderPatients.values().removeIf(s -> s.size() < settings.minDisorderPatients());
        return disorderPatients;
    }

    private List<Recommender.Evidence> evidence(List<Neighbour<List<TreatmentOutcome>>> neighbours) {
        List<Recommender.Evidence> out = new ArrayList<>();
        for (Neighbour<List<TreatmentOutcome>> n : neighbours) {
            out.add(new Recommender.Evidence(n.key(), settings.pipeline().metric().similarity(n.distance()),
                    n.payload()));
        }
        return out;
    }

    private static double mean(List<EvaluationReport.DisorderLift> lifts,
            java.util.function.ToDoubleFunction<EvaluationReport.DisorderLift> value) {
        return lifts.stream().mapToDouble(value).average().orElse(Double.NaN);
    }

    /** Per-disorder lift: mean share of neighbours with the disorder over the patients having it, over prevalence. */
    static double lift(Set<String> having, double prevalence, Map<String, List<String>> neighbours) {
        double sum = 0;
        int n = 0;
        for (String key : having) {
            List<String> ns = neighbours.get(key);
            if (ns == null || ns.isEmpty()) {
                continue;
            }
            sum += ns.stream().filter(having::contains).count() / (double) ns.size();
            n++;
        }
        return n == 0 || prevalence == 0 ? Double.NaN : sum / n / prevalence;
    }

    private double baselineLift(VectorWeights weights, List<String> population, Map<String, PatientState> atCutoff,
            Map<String, Set<String>> disorders) {
        PatientVectorizer baseline = new PatientVectorizer(catalog, weights);
        String space = baseline.clinicalSpace();
        Map<String, float[]> vs = new HashMap<>();
        for (String key : population) {
            List<Float> v = baseline.vectors(atCutoff.get(key)).get(space);
            vs.put(key, v == null ? new float[baseline.dimensions(space).size()] : PatientVectorizer.toArray(v));
        }
        Map<String, List<String>> neighbours = new HashMap<>();
        int k = Math.min(settings.k(), population.size() - 1);
        for (String key : population) {
            float[] q = vs.get(key);
            List<String> others = new ArrayList<>(population);
            others.remove(key);
            // Exact search, ties broken by key so the baseline is reproducible.
            others.sort(Comparator.comparingDouble((String o) -> settings.pipeline().metric().distance(q, vs.get(o)))
                    .thenComparing(Function.identity()));
            neighbours.put(key, others.subList(0, k));
        }
        return disorders.entrySet().stream()
                .mapToDouble(d -> lift(d.getValue(), (double) d.getValue().size() / population.size(), neighbours))
                .average().orElse(Double.NaN);
    }

    private static boolean alive(Demographics d, Instant at) {
        if (d == null || !d.getDeceased()) {
            return true;
        }
        return d.getDeceasedTime() != null && d.getDeceasedTime().isAfter(at);
    }
}
