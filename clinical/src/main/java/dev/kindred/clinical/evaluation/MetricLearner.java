package dev.kindred.clinical.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindred.clinical.recommend.ResponseEstimator;
import dev.kindred.clinical.recommend.ResponseMetric;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Learns a {@link ResponseMetric} from the judged courses of development populations: per treatment, an
 * L1-penalised logistic regression of "improved" on the standardised course-start vector, whose coefficients'
 * sizes become the dimension weights (a diagonal metric). The penalty is chosen per treatment by leaving one
 * population out: fit on the others, then score the held-out population's courses with the
 * {@link ResponseEstimator} over their neighbours under the fitted metric, and keep the penalty with the best
 * mean within-treatment AUROC. A treatment is covered only when that beats the same vectors unweighted, in the
 * same folds, and no ranking (0.5); the final weights are fitted on all populations with the chosen penalty.
 * The learner is meant for vectors not scaled to unit length (the evaluation's metric design): a weight on a
 * dimension then compares patients on that value itself.
 *
 * <p>The regression only says which dimensions to compare patients on; estimates still come from neighbours'
 * outcomes. Nothing here is told what decides a response.
 */
public final class MetricLearner {
    /** Penalties as fractions of the smallest one that zeroes every coefficient. */
    static final double[] PENALTY_FRACTIONS = {0.8, 0.6, 0.45, 0.3, 0.2, 0.12, 0.07, 0.04};
    private static final int ITERATIONS = 1500;
    static final int MIN_SUPPORT = 10;
    static final double MIN_SUPPORT_SHARE = 0.5;
    /**
     * Least courses, and least of each outcome, of a held-out population for its fold to count: the AUROC of a
     * dozen courses is mostly chance (two procedures of 49 courses once scored 1.000 against 0.000 on one).
     */
    static final int MIN_FOLD_COURSES = 20;
    static final int MIN_FOLD_CLASS = 5;

    /**
     * @param minCourses least judged courses of a treatment, all populations together, to learn its weights
     * @param minClass least improved and least not-improved courses among them
     */
    public record Settings(ResponseEstimator.Settings estimator, int minCourses, int minClass) {
        public static final Settings DEFAULT = new Settings(ResponseEstimator.Settings.DEFAULT, 40, 8);
    }

    /**
     * What was learned for one treatment, and how it scored in the held-out folds. {@code influence}: each
     * weighted dimension's share of the mean squared learned distance between two of the treatment's courses,
     * largest first: which dimensions the neighbours are chosen on (a weight alone is per unit of its dimension,
     * so a small weight on a widely spread value such as age can matter most).
     */
    public record Outcome(String treatment, int courses, int improved, double penaltyFraction, double cvAuroc,
            double cvAurocUnweighted, int folds, Map<String, Double> weights, boolean covered,
            Map<String, Double> influence) {
    }

    private final Settings settings;

    public MetricLearner(Settings settings) {
        this.settings = settings;
    }

    /** Learns from two or more populations laid out alike. */
    public Map<String, Outcome> learn(List<ResponseCases> populations) {
        if (populations.size() < 2) {
            throw new IllegalArgumentException("learning needs at least two development populations (one is held"
                    + " out in turn), got " + populations.size());
        }
        List<String> dims = populations.get(0).dimensions();
        for (ResponseCases p : populations) {
            if (!p.dimensions().equals(dims) || !p.design().equals(populations.get(0).design())) {
                throw new IllegalArgumentException("populations " + populations.get(0).population() + " and "
                        + p.population() + " have different vector layouts: learn from cases of one vector design");
            }
        }
        TreeSet<String> treatments = new TreeSet<>();
        populations.forEach(p -> p.courses().forEach(c -> treatments.add(c.treatment())));
        Map<String, Outcome> out = new LinkedHashMap<>();
        for (String treatment : treatments) {
            List<List<ResponseCases.Course>> byPopulation = new ArrayList<>();
            for (ResponseCases p : populations) {
                byPopulation.add(p.courses().stream().filter(c -> c.treatment().equals(treatment)).toList());
            }
            List<ResponseCases.Course> all = byPopulation.stream().flatMap(List::stream).toList();
            long improved = all.stream().filter(ResponseCases.Course::improved).count();
            if (all.size() < settings.minCourses() || improved < settings.minClass()
                    || all.size() - improved < settings.minClass()) {
                continue;
            }
            out.put(treatment, learnOne(treatment, byPopulation, dims, all, (int) improved));
        }
        return out;
    }

    /** The learned metric: the covered treatments' weights, with how they were learned. */
    public static ResponseMetric metric(Map<String, Outcome> outcomes, List<ResponseCases> populations) {
        Map<String, Map<String, Double>> weights = new TreeMap<>();
        outcomes.values().stream().filter(Outcome::covered).forEach(o -> weights.put(o.treatment(), o.weights()));
        ObjectNode provenance = new ObjectMapper().createObjectNode();
        provenance.put("vectors", populations.get(0).design());
        provenance.put("learner", "L1 logistic regression on standardised course-start vectors; weight = |coefficient|"
                + " / standard deviation; penalty chosen per treatment by leaving one population out");
        var pops = provenance.putArray("populations");
        populations.forEach(p -> pops.add(p.population()));
        return new ResponseMetric(weights, provenance);
    }

    /** Per-treatment notes for {@link ResponseMetric#write}. */
    public static Map<String, JsonNode> notes(Map<String, Outcome> outcomes) {
        ObjectMapper json = new ObjectMapper();
        Map<String, JsonNode> notes = new TreeMap<>();
        outcomes.values().forEach(o -> {
            ObjectNode n = json.createObjectNode();
            n.put("courses", o.courses());
            n.put("improved", o.improved());
            n.put("penalty_fraction", o.penaltyFraction());
            n.put("cv_auroc", o.cvAuroc());
            n.put("cv_auroc_unweighted", o.cvAurocUnweighted());
            n.put("folds", o.folds());
            ObjectNode influence = n.putObject("influence");
            o.influence().forEach((dim, share) -> influence.put(dim, Math.round(share * 1000) / 1000.0));
            notes.put(o.treatment(), n);
        });
        return notes;
    }

    private Outcome learnOne(String treatment, List<List<ResponseCases.Course>> byPopulation, List<String> dims,
            List<ResponseCases.Course> all, int improved) {
        double[] unweighted = new double[dims.size()];
        Arrays.fill(unweighted, 1);
        double bestCv = Double.NEGATIVE_INFINITY;
        double bestFraction = Double.NaN;
        int folds = 0;
        double baseline = 0;
        for (double fraction : PENALTY_FRACTIONS) {
            double sum = 0;
            double sumBaseline = 0;
            int n = 0;
            for (int held = 0; held < byPopulation.size(); held++) {
                List<ResponseCases.Course> test = byPopulation.get(held);
                List<ResponseCases.Course> train = new ArrayList<>();
                for (int i = 0; i < byPopulation.size(); i++) {
                    if (i != held) {
                        train.addAll(byPopulation.get(i));
                    }
                }
                if (test.size() < MIN_FOLD_COURSES || !bothClasses(test, MIN_FOLD_CLASS) || !bothClasses(train, 3)) {
                    continue;
                }
                double prior = rate(train);
                sum += heldOutAuroc(test, fit(train, fraction), prior);
                if (fraction == PENALTY_FRACTIONS[0]) {
                    sumBaseline += heldOutAuroc(test, unweighted, prior);
                }
                n++;
            }
            if (n == 0) {
                break;
            }
            folds = n;
            if (fraction == PENALTY_FRACTIONS[0]) {
                baseline = sumBaseline / n;
            }
            // Strictly better only: ties keep the larger penalty, the simpler metric.
            if (sum / n > bestCv) {
                bestCv = sum / n;
                bestFraction = fraction;
            }
        }
        if (folds == 0) {
            return new Outcome(treatment, all.size(), improved, Double.NaN, Double.NaN, Double.NaN, 0, Map.of(),
                    false, Map.of());
        }
        double[] scale = fit(all, bestFraction);
        Map<String, Double> weights = new LinkedHashMap<>();
        for (int j = 0; j < scale.length; j++) {
            if (scale[j] > 0) {
                weights.put(dims.get(j), scale[j]);
            }
        }
        // Below 0.5 the held-out ranking is worse than none: nothing was learned, whatever the design scored.
        boolean covered = bestCv > Math.max(baseline, 0.5) && !weights.isEmpty();
        return new Outcome(treatment, all.size(), improved, bestFraction, bestCv, baseline, folds, weights, covered,
                influence(all, dims, scale));
    }

    /** Per weighted dimension, (weight × standard deviation)² as a share of the sum over all of them. */
    private static Map<String, Double> influence(List<ResponseCases.Course> courses, List<String> dims, double[] scale) {
        double[] part = new double[scale.length];
        double total = 0;
        for (int j = 0; j < scale.length; j++) {
            if (scale[j] > 0) {
                double sum = 0;
                double sum2 = 0;
                for (ResponseCases.Course c : courses) {
                    sum += c.vector()[j];
                    sum2 += (double) c.vector()[j] * c.vector()[j];
                }
                double variance = Math.max(0, sum2 / courses.size() - Math.pow(sum / courses.size(), 2));
                part[j] = scale[j] * scale[j] * variance;
                total += part[j];
            }
        }
        Map<String, Double> shares = new LinkedHashMap<>();
        double t = total;
        IntStream.range(0, scale.length).filter(j -> part[j] > 0).boxed()
                .sorted(Comparator.comparingDouble((Integer j) -> -part[j]))
                .forEach(j -> shares.put(dims.get(j), part[j] / t));
        return shares;
    }

    /**
     * The response estimate of every held-out course from its nearest courses of other patients in the same
     * population under {@code scale}, and the AUROC of those estimates.
     */
    private double heldOutAuroc(List<ResponseCases.Course> test, double[] scale, double prior) {
        ResponseEstimator estimator = new ResponseEstimator(settings.estimator());
        int k = settings.estimator().neighbours();
        List<Auroc.Case> cases = new ArrayList<>();
        for (ResponseCases.Course query : test) {
            List<double[]> ranked = new ArrayList<>(); // {distance, index}
            for (int i = 0; i < test.size(); i++) {
                ResponseCases.Course other = test.get(i);
                if (!other.patient().equals(query.patient())) {
                    ranked.add(new double[] {distance(query.vector(), other.vector(), scale), i});
                }
            }
            ranked.sort(Comparator.<double[]>comparingDouble(r -> r[0]).thenComparingDouble(r -> r[1]));
            double[] distances = new double[Math.min(k, ranked.size())];
            boolean[] outcomes = new boolean[distances.length];
            for (int i = 0; i < distances.length; i++) {
                distances[i] = ranked.get(i)[0];
                outcomes[i] = test.get((int) ranked.get(i)[1]).improved();
            }
            cases.add(new Auroc.Case(estimator.estimate(distances, outcomes, prior).rate(), query.improved()));
        }
        return Auroc.of(cases);
    }

    private static double distance(float[] a, float[] b, double[] scale) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            if (scale[j] != 0) {
                double d = (a[j] - b[j]) * scale[j];
                s += d * d;
            }
        }
        return Math.sqrt(s);
    }

    /**
     * Per-dimension weights {@code |β_j| / σ_j} of an L1-penalised logistic regression on standardised
     * dimensions, by accelerated proximal gradient (FISTA) from zero: deterministic for the same courses.
     * The penalty is {@code fraction} of the smallest that zeroes every coefficient.
     */
    static double[] fit(List<ResponseCases.Course> courses, double fraction) {
        int n = courses.size();
        int d = courses.get(0).vector().length;
        double[] mean = new double[d];
        double[] sd = new double[d];
        for (ResponseCases.Course c : courses) {
            for (int j = 0; j < d; j++) {
                mean[j] += c.vector()[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        for (ResponseCases.Course c : courses) {
            for (int j = 0; j < d; j++) {
                double x = c.vector()[j] - mean[j];
                sd[j] += x * x;
            }
        }
        double[][] z = new double[n][d];
        double[] y = new double[n];
        for (int j = 0; j < d; j++) {
            sd[j] = varies(courses, j) ? Math.sqrt(sd[j] / n) : 0;
        }
        for (int i = 0; i < n; i++) {
            float[] v = courses.get(i).vector();
            for (int j = 0; j < d; j++) {
                z[i][j] = sd[j] > 1e-9 ? (v[j] - mean[j]) / sd[j] : 0;
            }
            y[i] = courses.get(i).improved() ? 1 : 0;
        }
        double ybar = Arrays.stream(y).average().orElse(0.5);
        double lambdaMax = 0;
        for (int j = 0; j < d; j++) {
            double g = 0;
            for (int i = 0; i < n; i++) {
                g += z[i][j] * (y[i] - ybar);
            }
            lambdaMax = Math.max(lambdaMax, Math.abs(g) / n);
        }
        double lambda = fraction * lambdaMax;
        double step = 1 / (0.25 * largestEigenvalue(z) + 1e-12);

        double[] beta = new double[d + 1]; // intercept last, unpenalised
        beta[d] = Math.log((ybar + 1e-6) / (1 - ybar + 1e-6));
        double[] momentum = beta.clone();
        double t = 1;
        double[] grad = new double[d + 1];
        for (int it = 0; it < ITERATIONS; it++) {
            Arrays.fill(grad, 0);
            for (int i = 0; i < n; i++) {
                double eta = momentum[d];
                for (int j = 0; j < d; j++) {
                    eta += z[i][j] * momentum[j];
                }
                double r = 1 / (1 + Math.exp(-eta)) - y[i];
                for (int j = 0; j < d; j++) {
                    grad[j] += r * z[i][j];
                }
                grad[d] += r;
            }
            double[] next = new double[d + 1];
            for (int j = 0; j <= d; j++) {
                double v = momentum[j] - step * grad[j] / n;
                next[j] = j == d ? v : Math.signum(v) * Math.max(0, Math.abs(v) - step * lambda);
            }
            double tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
            for (int j = 0; j <= d; j++) {
                momentum[j] = next[j] + (t - 1) / tNext * (next[j] - beta[j]);
            }
            beta = next;
            t = tNext;
        }
        double[] scale = new double[d];
        for (int j = 0; j < d; j++) {
            scale[j] = sd[j] > 1e-9 ? Math.abs(beta[j]) / sd[j] : 0;
        }
        return scale;
    }

    /**
     * Whether dimension {@code j} is set (not 0) in at least {@value #MIN_SUPPORT_SHARE} of the courses and differs
     * from its most common value in at least {@value #MIN_SUPPORT} of them. A test a handful of patients had would
     * otherwise get a huge weight from one or two courses (its standard deviation is tiny) and split the
     * neighbours on it; a two-valued dimension such as sex is set for everyone, so its minority counts in full.
     */
    private static boolean varies(List<ResponseCases.Course> courses, int j) {
        Map<Float, Integer> counts = new java.util.HashMap<>();
        int most = 0;
        int set = 0;
        for (ResponseCases.Course c : courses) {
            float x = c.vector()[j];
            most = Math.max(most, counts.merge(x, 1, Integer::sum));
            set += x != 0 ? 1 : 0;
        }
        return courses.size() - most >= MIN_SUPPORT && set >= MIN_SUPPORT_SHARE * courses.size();
    }

    /** The largest eigenvalue of ZᵀZ / n by power iteration: the gradient's Lipschitz constant, over 0.25. */
    private static double largestEigenvalue(double[][] z) {
        int n = z.length;
        int d = z[0].length;
        double[] v = new double[d];
        Arrays.fill(v, 1 / Math.sqrt(d));
        double eigen = 0;
        for (int it = 0; it < 50; it++) {
            double[] zv = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    zv[i] += z[i][j] * v[j];
                }
            }
            double[] w = new double[d];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    w[j] += z[i][j] * zv[i] / n;
                }
            }
            double norm = Math.sqrt(Arrays.stream(w).map(x -> x * x).sum());
            if (norm == 0) {
                return 0;
            }
            eigen = norm;
            for (int j = 0; j < d; j++) {
                v[j] = w[j] / norm;
            }
        }
        return eigen * 1.05; // a little over, so the step stays safe
    }

    private static boolean bothClasses(List<ResponseCases.Course> courses, int atLeast) {
        long improved = courses.stream().filter(ResponseCases.Course::improved).count();
        return improved >= atLeast && courses.size() - improved >= atLeast;
    }

    private static double rate(List<ResponseCases.Course> courses) {
        return courses.stream().filter(ResponseCases.Course::improved).count() / (double) courses.size();
    }
}
