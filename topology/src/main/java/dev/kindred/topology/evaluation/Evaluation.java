package dev.kindred.topology.evaluation;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.Demographics;
import dev.kindred.avro.EffectiveTimeSource;
import dev.kindred.avro.FactKind;
import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentCourse;
import dev.kindred.avro.TreatmentEpisode;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.index.DistanceMetric;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.HnswVectorIndex;
import dev.kindred.index.Neighbour;
import dev.kindred.index.VectorIndex;
import dev.kindred.topology.alerts.AlertSuppression;
import dev.kindred.topology.outcomes.OutcomeJudge;
import dev.kindred.topology.outcomes.OutcomeRules;
import dev.kindred.topology.outcomes.OutcomeSummary;
import dev.kindred.topology.patient.PatientStateUpdater;
import dev.kindred.topology.patient.PatientVectorizer;
import dev.kindred.topology.patient.Trigger;
import dev.kindred.topology.recommend.Recommender;
import java.time.Duration;
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
import java.util.function.Function;

/**
 * Offline quality evaluation with a time split, on the same classes the topology runs: the patient-state
 * updater, the outcome judge, the vectorizer, the HNSW index and the recommender, in-process.
 *
 * <ol>
 *   <li>Each patient's facts are applied in effective-time order up to the cutoff (by default the time that
 *       leaves a fifth of the recorded events after it), judging outcomes as the stream would; the state at
 *       the cutoff gives the patient's vectors and outcome summary, which go into an HNSW index. The
 *       population is every patient with a clinical vector at the cutoff and alive then.</li>
 *   <li>{@code neighbour_condition_lift}: over chronic disorders (Conditions whose display ends in
 *       "(disorder)") active after the cutoff in at least {@code minDisorderPatients} patients of the
 *       population, the macro-average of (share of a patient's k neighbours who have the disorder) /
 *       (its prevalence), over the patients who have it; also with exact search and with random
 *       neighbours.</li>
 *   <li>{@code outcome_auroc}: the rest of each patient's facts are applied; every treatment course started
 *       after the cutoff whose outcome became known is predicted by the neighbours' outcomes for that
 *       treatment at the cutoff (the similarity-weighted improvement rate, shrunk towards the population rate
 *       by {@value #PRIOR_WEIGHT} neighbours' worth), against {@code outcome_auroc_population}: the population
 *       rate of each treatment alone.</li>
 *   <li>{@code coverage}: the alerts raised after the cutoff (triggers, after suppression) whose
 *       recommendations from the cutoff index are not empty, over all those alerts.</li>
 * </ol>
 */
public final class Evaluation {
    /** Share of the recorded events the default cutoff leaves after it. */
    public static final double HELD_OUT_SHARE = 0.2;
    /** Weight, in neighbours, of the population rate in the neighbour-based outcome estimate. */
    public static final double PRIOR_WEIGHT = 2.0;

    /**
     * @param cutoff null: the time leaving {@link #HELD_OUT_SHARE} of the events after it
     * @param baselines also measure the naive vector designs (latest values only; age and sex only)
     */
    public record Settings(int k, Instant cutoff, DistanceMetric metric, HnswParameters hnsw,
            PatientVectorizer.Weights weights, Recommender.Settings recommend, Duration suppression,
            List<String> silentDiagnosisTags, int minDisorderPatients, long seed, boolean baselines) {

        public static Settings defaults() {
            return new Settings(10, null, DistanceMetric.EUCLIDEAN, HnswParameters.DEFAULTS,
                    PatientVectorizer.Weights.DEFAULT, Recommender.Settings.DEFAULT, Duration.ofDays(30),
                    PatientStateUpdater.DEFAULT_SILENT_DIAGNOSIS_TAGS, 15, 42, true);
        }

        public Settings withK(int newK) {
            return new Settings(newK, cutoff, metric, hnsw, weights, recommend, suppression, silentDiagnosisTags,
                    minDisorderPatients, seed, baselines);
        }

        public Settings withCutoff(Instant newCutoff) {
            return new Settings(k, newCutoff, metric, hnsw, weights, recommend, suppression, silentDiagnosisTags,
                    minDisorderPatients, seed, baselines);
        }

        public Settings withWeights(PatientVectorizer.Weights newWeights) {
            return new Settings(k, cutoff, metric, hnsw, newWeights, recommend, suppression, silentDiagnosisTags,
                    minDisorderPatients, seed, baselines);
        }

        public Settings withBaselines(boolean on) {
            return new Settings(k, cutoff, metric, hnsw, weights, recommend, suppression, silentDiagnosisTags,
                    minDisorderPatients, seed, on);
        }
    }

    /** The lift of one disorder. */
    public record DisorderLift(String code, String display, int patients, double prevalence, double lift,
            double liftExact, double liftRandom) {
    }

    /** Everything measured. */
    public record Report(int patientsTotal, int patients, int k, Instant cutoff, Instant end,
            double lift, double liftExact, double liftRandom, Double baselineLatestValues, Double baselineAgeSex,
            double recall, double outcomeAuroc, double outcomeAurocPopulation,
            double outcomeAurocPopulationByReason, int outcomeCases,
            int outcomeImproved, int alerts, int alertsWithRecommendation, List<DisorderLift> disorders,
            Map<String, Integer> outcomeCasesByRule) {

        public double coverage() {
            return alerts == 0 ? Double.NaN : (double) alertsWithRecommendation / alerts;
        }

        /** The report as a JSON-ready map, the keys the issue asks for first. */
        public Map<String, Object> toJson() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("neighbour_condition_lift", round(lift));
            out.put("neighbour_condition_lift_exact", round(liftExact));
            out.put("neighbour_condition_lift_random", round(liftRandom));
            out.put("outcome_auroc", round(outcomeAuroc));
            out.put("outcome_auroc_population", round(outcomeAurocPopulation));
            out.put("coverage", round(coverage()));
            out.put("patients", patients);
            out.put("k", k);
            out.put("cutoff", cutoff.toString());
            out.put("patients_total", patientsTotal);
            out.put("timeline_end", end.toString());
            out.put("disorders", disorders.size());
            if (baselineLatestValues != null) {
                out.put("baseline_lift_latest_values_exact", round(baselineLatestValues));
            }
            if (baselineAgeSex != null) {
                out.put("baseline_lift_age_sex_exact", round(baselineAgeSex));
            }
            out.put("hnsw_recall_at_k", round(recall));
            out.put("outcome_auroc_population_by_reason", round(outcomeAurocPopulationByReason));
            out.put("outcome_cases", outcomeCases);
            out.put("outcome_cases_improved", outcomeImproved);
            out.put("outcome_cases_by_rule", outcomeCasesByRule);
            out.put("alerts", alerts);
            out.put("alerts_with_recommendation", alertsWithRecommendation);
            List<Map<String, Object>> perDisorder = new ArrayList<>();
            for (DisorderLift d : disorders) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("display", d.display());
                m.put("code", d.code());
                m.put("patients", d.patients());
                m.put("prevalence", round(d.prevalence()));
                m.put("lift", round(d.lift()));
                m.put("lift_exact", round(d.liftExact()));
                m.put("lift_random", round(d.liftRandom()));
                perDisorder.add(m);
            }
            out.put("per_disorder", perDisorder);
            return out;
        }

        private static Object round(double v) {
            return Double.isNaN(v) ? null : Math.round(v * 10_000) / 10_000.0;
        }
    }

    private final FeatureCatalog catalog;
    private final OutcomeRules rules;
    private final Settings settings;
    private final PatientStateUpdater updater;
    private final OutcomeJudge judge;
    private final OutcomeSummary summary;
    private final PatientVectorizer vectorizer;
    private final Recommender recommender;

    public Evaluation(FeatureCatalog catalog, OutcomeRules rules, Settings settings) {
        this.catalog = catalog;
        this.rules = rules;
        this.settings = settings;
        this.updater = new PatientStateUpdater(catalog, rules, settings.silentDiagnosisTags());
        this.judge = new OutcomeJudge(rules);
        this.summary = new OutcomeSummary(judge);
        this.vectorizer = new PatientVectorizer(catalog, settings.weights());
        this.recommender = new Recommender(rules, settings.recommend());
    }

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

    /** A course decided during the replay: the treatment, what it was for, and whether it improved. */
    record Decided(String treatment, String reason, Instant start, boolean improved, String rule) {
    }

    /** One patient's walk through time. */
    private final class PatientRun {
        final String key;
        final List<ClinicalFact> facts;
        int next;
        PatientState state;
        /** Courses started after {@link #recordAfter} whose outcome became known, as they were decided. */
        final Map<String, Decided> decided = new LinkedHashMap<>();
        Instant recordAfter;

        PatientRun(String key, List<ClinicalFact> facts) {
            this.key = key;
            this.facts = ordered(facts);
        }

        /** Judges at {@code clock} and remembers the decisions (the state keeps only the latest few per treatment). */
        void judge(Instant clock) {
            PatientState judged = Evaluation.this.judge.judge(state, clock);
            if (judged != state && recordAfter != null) {
                for (Map.Entry<String, TreatmentCourse> course : judged.getTreatments().entrySet()) {
                    for (TreatmentEpisode e : course.getValue().getEpisodes()) {
                        if (e.getStatus() != OutcomeStatus.UNKNOWN && e.getStart().isAfter(recordAfter)) {
                            decided.putIfAbsent(course.getKey() + "@" + e.getStart().toEpochMilli(), new Decided(
                                    course.getKey(), OutcomeSummary.primaryReason(e, judged.getDiagnoses()),
                                    e.getStart(), e.getStatus() == OutcomeStatus.IMPROVED, e.getRule()));
                        }
                    }
                }
            }
            state = judged;
        }

        /** Applies facts up to and including {@code until}; returns the triggers raised. */
        List<Trigger> advance(Instant until) {
            List<Trigger> triggers = new ArrayList<>();
            while (next < facts.size()) {
                ClinicalFact f = facts.get(next);
                if (f.getKind() != FactKind.DEMOGRAPHICS && until != null && f.getEffectiveTime().isAfter(until)) {
                    break;
                }
                next++;
                PatientStateUpdater.Update u = updater.apply(state, f);
                state = u.state();
                if (f.getKind() != FactKind.DEMOGRAPHICS) {
                    judge(f.getEffectiveTime());
                }
                triggers.addAll(u.triggers());
            }
            return triggers;
        }
    }

    public Report run(Map<String, List<ClinicalFact>> facts) {
        Instant cutoff = settings.cutoff() != null ? settings.cutoff() : defaultCutoff(facts);
        List<Long> times = timeline(facts);
        Instant end = Instant.ofEpochMilli(times.get(times.size() - 1));
        String clinical = vectorizer.clinicalSpace();

        // 1. States at the cutoff; the population and its index.
        Map<String, PatientRun> runs = new TreeMap<>();
        facts.forEach((key, list) -> runs.put(key, new PatientRun(key, list)));
        Map<String, PatientState> atCutoff = new TreeMap<>();
        Map<String, float[]> vectors = new TreeMap<>();
        for (PatientRun run : runs.values()) {
            run.advance(cutoff);
            if (run.state == null) {
                continue;
            }
            run.judge(cutoff);
            run.recordAfter = cutoff;
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
        int dims = vectors.values().iterator().next().length;
        VectorIndex<List<TreatmentOutcome>> index = new HnswVectorIndex<>("evaluation/" + clinical, settings.metric(),
                dims, settings.hnsw());
        Map<String, List<TreatmentOutcome>> payloads = new HashMap<>();
        for (String key : population) {
            List<TreatmentOutcome> payload = summary.outcomes(atCutoff.get(key));
            payloads.put(key, payload);
            index.upsert(key, atCutoff.get(key).getVersion(), vectors.get(key), payload);
        }

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
        Map<String, Set<String>> disorderPatients = new TreeMap<>();
        Map<String, String> disorderNames = new HashMap<>();
        Set<String> inPopulation = new HashSet<>(population);
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
                    disorderNames.putIfAbsent(code, f.getDisplay());
                }
            }
        });
        disorderPatients.values().removeIf(s -> s.size() < settings.minDisorderPatients());
        Map<String, List<String>> approxKeys = new HashMap<>();
        approx.forEach((key, list) -> approxKeys.put(key, list.stream().map(Neighbour::key).toList()));
        List<DisorderLift> lifts = new ArrayList<>();
        for (Map.Entry<String, Set<String>> d : disorderPatients.entrySet()) {
            Set<String> having = d.getValue();
            double prevalence = (double) having.size() / population.size();
            lifts.add(new DisorderLift(d.getKey(), disorderNames.get(d.getKey()), having.size(), prevalence,
                    lift(having, prevalence, approxKeys), lift(having, prevalence, exact),
                    lift(having, prevalence, random)));
        }
        Double baselineLatest = null;
        Double baselineAgeSex = null;
        if (settings.baselines()) {
            baselineLatest = baselineLift(PatientVectorizer.Weights.LATEST_VALUES_ONLY, population, atCutoff,
                    disorderPatients);
            baselineAgeSex = baselineLift(PatientVectorizer.Weights.DEMOGRAPHICS_ONLY, population, atCutoff,
                    disorderPatients);
        }

        // 4. After the cutoff: alerts (coverage) and the outcomes of courses started after it.
        AlertSuppression suppression = new AlertSuppression(settings.suppression());
        int alerts = 0;
        int covered = 0;
        List<Auroc.Case> byNeighbours = new ArrayList<>();
        List<Auroc.Case> byPopulation = new ArrayList<>();
        List<Auroc.Case> byPopulationAndReason = new ArrayList<>();
        Map<String, Integer> casesByRule = new TreeMap<>();
        int improved = 0;
        PopulationRates populationRates = new PopulationRates(payloads);
        for (PatientRun run : runs.values()) {
            while (run.next < run.facts.size()) {
                ClinicalFact f = run.facts.get(run.next);
                List<Trigger> triggers = run.advance(f.getEffectiveTime());
                if (triggers.isEmpty() || run.state == null) {
                    continue;
                }
                AlertSuppression.Result kept = suppression.filter(run.state, triggers);
                run.state = kept.state();
                if (kept.kept().isEmpty()) {
                    continue;
                }
                List<Float> v = vectorizer.vectors(run.state).get(clinical);
                List<Recommender.Evidence> evidence = v == null ? List.of()
                        : evidence(index.search(PatientVectorizer.toArray(v), settings.k(),
                                i -> !i.key().equals(run.key)));
                for (Trigger t : kept.kept()) {
                    alerts++;
                    Recommender.Focus focus = switch (t.type()) {
                        case OUT_OF_RANGE -> new Recommender.Focus(t.fact().getFeatureId(), null);
                        case NEW_DIAGNOSIS -> new Recommender.Focus(null,
                                OutcomeRules.key(t.fact().getSystem(), t.fact().getCode()));
                        case NEW_IMAGING_STUDY -> Recommender.Focus.NONE;
                    };
                    List<TreatmentRecommendation> recs = recommender.recommend(evidence, run.state,
                            t.fact().getEffectiveTime(), focus);
                    if (!recs.isEmpty()) {
                        covered++;
                    }
                }
            }
            if (run.state == null || !inPopulation.contains(run.key)) {
                continue;
            }
            run.judge(end);
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
        double liftMean = lifts.stream().mapToDouble(DisorderLift::lift).average().orElse(Double.NaN);
        double liftExactMean = lifts.stream().mapToDouble(DisorderLift::liftExact).average().orElse(Double.NaN);
        double liftRandomMean = lifts.stream().mapToDouble(DisorderLift::liftRandom).average().orElse(Double.NaN);
        return new Report(facts.size(), population.size(), k, cutoff, end, liftMean, liftExactMean, liftRandomMean,
                baselineLatest, baselineAgeSex, recallSum / population.size(), Auroc.of(byNeighbours),
                Auroc.of(byPopulation), Auroc.of(byPopulationAndReason), byNeighbours.size(), improved, alerts, covered, lifts, casesByRule);
    }

    private List<Recommender.Evidence> evidence(List<Neighbour<List<TreatmentOutcome>>> neighbours) {
        List<Recommender.Evidence> out = new ArrayList<>();
        for (Neighbour<List<TreatmentOutcome>> n : neighbours) {
            double similarity = switch (settings.metric()) {
                case COSINE, INNER_PRODUCT -> 1.0 - n.distance();
                case EUCLIDEAN -> 1.0 / (1.0 + n.distance());
            };
            out.add(new Recommender.Evidence(n.key(), similarity, n.payload()));
        }
        return out;
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

    private double baselineLift(PatientVectorizer.Weights weights, List<String> population,
            Map<String, PatientState> atCutoff, Map<String, Set<String>> disorders) {
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
            others.sort(Comparator.comparingDouble((String o) -> settings.metric().distance(q, vs.get(o)))
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

    /**
     * Improvement rate of each treatment (or treatment and reason) over the population's outcome summaries at
     * the cutoff; a treatment nobody had a known outcome of gets the rate of all treatments. Each patient
     * counts once per treatment (its latest decided outcome), as a neighbour does in the recommender.
     */
    private static final class PopulationRates {
        private final Map<String, int[]> counts = new HashMap<>();
        private int allImproved;
        private int allJudged;

        PopulationRates(Map<String, List<TreatmentOutcome>> payloads) {
            payloads.forEach((patient, outcomes) -> {
                Map<String, TreatmentOutcome> latest = new HashMap<>();
                for (TreatmentOutcome o : outcomes) {
                    if (o.getStatus() == OutcomeStatus.UNKNOWN) {
                        continue;
                    }
                    String treatment = OutcomeRules.key(o.getSystem(), o.getCode());
                    add(treatment + "#" + (o.getReasons().isEmpty() ? "" : o.getReasons().get(0)), o);
                    latest.merge(treatment, o, (a, b) -> decided(b).isAfter(decided(a)) ? b : a);
                }
                latest.forEach((treatment, o) -> {
                    add(treatment, o);
                    allImproved += o.getStatus() == OutcomeStatus.IMPROVED ? 1 : 0;
                    allJudged++;
                });
            });
        }

        private static Instant decided(TreatmentOutcome o) {
            return o.getDecidedAt() != null ? o.getDecidedAt() : o.getStartedAt();
        }

        private void add(String key, TreatmentOutcome o) {
            int[] c = counts.computeIfAbsent(key, x -> new int[2]);
            c[0] += o.getStatus() == OutcomeStatus.IMPROVED ? 1 : 0;
            c[1]++;
        }

        /** The rate of a treatment, or of a treatment given for {@code reason} when that is known and seen. */
        double rate(String treatment, String reason) {
            if (reason != null) {
                int[] c = counts.get(treatment + "#" + reason);
                if (c != null && c[1] > 0) {
                    return (double) c[0] / c[1];
                }
            }
            int[] c = counts.get(treatment);
            if (c != null && c[1] > 0) {
                return (double) c[0] / c[1];
            }
            return allJudged == 0 ? 0.5 : (double) allImproved / allJudged;
        }
    }
}
