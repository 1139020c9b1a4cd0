package dev.kindred.clinical.evaluation;

import dev.kindred.clinical.pipeline.PipelineSettings;
import dev.kindred.index.HnswParameters;
import dev.kindred.clinical.patient.VectorWeights;
import dev.kindred.clinical.recommend.ResponseEstimator;
import dev.kindred.clinical.recommend.ResponseMetric;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How {@link Evaluation} runs.
 *
 * @param pipeline the settings of the pipeline under evaluation; its {@code alertNeighbours} is the k of every
 *     neighbour list measured
 * @param cutoff the time split; null leaves {@link Evaluation#HELD_OUT_SHARE} of the events after it
 * @param hnsw the parameters of the cutoff index
 * @param minDisorderPatients disorders are measured when active after the cutoff in at least this many patients
 * @param seed for the random-neighbour baseline
 * @param baselines also measure the naive vector designs (latest values only; age and sex only)
 * @param response the treatment-response estimator to measure; null leaves the response report out
 * @param responseMinCases treatments with fewer judged courses after the cutoff get no row of their own
 * @param bootstrapResamples resamples of the response report's confidence intervals (seeded by {@code seed})
 * @param weightCandidates vector designs to score on this population besides the pipeline's (the weight search)
 * @param responseAtCourseStart the response report compares patients as they were when each course started
 *        (neighbours: courses decided by the cutoff); false compares everyone's vectors at the cutoff
 * @param responseMetric learned per-treatment weights to choose the neighbours with (at course start); null:
 *        the vector design as it is
 */
public record EvaluationSettings(PipelineSettings pipeline, Instant cutoff, HnswParameters hnsw,
        int minDisorderPatients, long seed, boolean baselines, ResponseEstimator.Settings response,
        int responseMinCases, int bootstrapResamples, Map<String, VectorWeights> weightCandidates,
        boolean responseAtCourseStart, ResponseMetric responseMetric) {

    public static final EvaluationSettings DEFAULTS = new Builder().build();

    public int k() {
        return pipeline.alertNeighbours();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().pipeline(pipeline).cutoff(cutoff).hnsw(hnsw).minDisorderPatients(minDisorderPatients)
                .seed(seed).baselines(baselines).response(response).responseMinCases(responseMinCases)
                .bootstrapResamples(bootstrapResamples).weightCandidates(weightCandidates)
                .responseAtCourseStart(responseAtCourseStart).responseMetric(responseMetric);
    }

    /** Named construction, starting from the defaults `kindred evaluate` uses. */
    public static final class Builder {
        private PipelineSettings pipeline = PipelineSettings.DEFAULTS;
        private Instant cutoff;
        private HnswParameters hnsw = HnswParameters.DEFAULTS;
        private int minDisorderPatients = 15;
        private long seed = 42;
        private boolean baselines = true;
        private ResponseEstimator.Settings response;
        private int responseMinCases = 10;
        private int bootstrapResamples = 2000;
        private Map<String, VectorWeights> weightCandidates = Map.of();
        private boolean responseAtCourseStart = true;
        private ResponseMetric responseMetric;

        private Builder() {
        }

        public Builder pipeline(PipelineSettings p) {
            pipeline = p;
            return this;
        }

        public Builder cutoff(Instant c) {
            cutoff = c;
            return this;
        }

        public Builder hnsw(HnswParameters h) {
            hnsw = h;
            return this;
        }

        public Builder minDisorderPatients(int n) {
            minDisorderPatients = n;
            return this;
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        public Builder baselines(boolean on) {
            baselines = on;
            return this;
        }

        public Builder response(ResponseEstimator.Settings r) {
            response = r;
            return this;
        }

        public Builder responseMinCases(int n) {
            responseMinCases = n;
            return this;
        }

        public Builder bootstrapResamples(int n) {
            bootstrapResamples = n;
            return this;
        }

        /** Named designs, kept in the given order. */
        public Builder weightCandidates(Map<String, VectorWeights> candidates) {
            weightCandidates = new LinkedHashMap<>(candidates);
            return this;
        }

        public Builder responseMetric(ResponseMetric metric) {
            responseMetric = metric;
            return this;
        }

        public Builder responseAtCourseStart(boolean atStart) {
            responseAtCourseStart = atStart;
            return this;
        }

        public EvaluationSettings build() {
            return new EvaluationSettings(pipeline, cutoff, hnsw, minDisorderPatients, seed, baselines, response,
                    responseMinCases, bootstrapResamples, weightCandidates, responseAtCourseStart,
                    responseMetric);
        }
    }
}
