package dev.kindred.clinical.pipeline;

import dev.kindred.clinical.patient.PatientStateUpdater;
import dev.kindred.clinical.patient.VectorWeights;
import dev.kindred.clinical.recommend.Recommender;
import dev.kindred.index.DistanceMetric;
import java.time.Duration;
import java.util.List;

/**
 * How the {@link PatientPipeline} behaves: the stream reads these from its configuration, {@code kindred
 * evaluate} from its options, tests start from {@link #DEFAULTS}.
 *
 * @param alertNeighbours similar patients per alert
 * @param metric distance of the patient indexes (and so how distance becomes similarity)
 * @param suppressionWindow a repeated alert cause within this much event time is suppressed; zero turns it off
 * @param silentDiagnosisTags SNOMED CT semantic tags of new diagnoses that do not alert
 * @param weights the design of the clinical vector
 * @param recommend the recommender's minimum support and number of recommendations
 * @param awaitImageEmbeddings an embedder computes image embeddings for studies that list DICOM instances: their
 *     new-study alert waits for the embedding (so it carries imaging neighbours) instead of firing on arrival
 */
public record PipelineSettings(int alertNeighbours, DistanceMetric metric, Duration suppressionWindow,
        List<String> silentDiagnosisTags, VectorWeights weights, Recommender.Settings recommend,
        boolean awaitImageEmbeddings) {

    public static final PipelineSettings DEFAULTS = new Builder().build();

    public PipelineSettings {
        if (alertNeighbours < 1) {
            throw new IllegalArgumentException("alert neighbours must be at least 1: " + alertNeighbours);
        }
        silentDiagnosisTags = List.copyOf(silentDiagnosisTags);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().alertNeighbours(alertNeighbours).metric(metric).suppressionWindow(suppressionWindow)
                .silentDiagnosisTags(silentDiagnosisTags).weights(weights).recommend(recommend)
                .awaitImageEmbeddings(awaitImageEmbeddings);
    }

    /** Named construction, starting from Kindred's defaults. */
    public static final class Builder {
        private int alertNeighbours = 10;
        private DistanceMetric metric = DistanceMetric.EUCLIDEAN;
        private boolean awaitImageEmbeddings = false;
        private Duration suppressionWindow = Duration.ofDays(30);
        private List<String> silentDiagnosisTags = PatientStateUpdater.DEFAULT_SILENT_DIAGNOSIS_TAGS;
        private VectorWeights weights = VectorWeights.DEFAULT;
        private Recommender.Settings recommend = Recommender.Settings.DEFAULT;

        private Builder() {
        }

        public Builder alertNeighbours(int k) {
            alertNeighbours = k;
            return this;
        }

        public Builder metric(DistanceMetric m) {
            metric = m;
            return this;
        }

        public Builder suppressionWindow(Duration window) {
            suppressionWindow = window;
            return this;
        }

        public Builder silentDiagnosisTags(List<String> tags) {
            silentDiagnosisTags = tags;
            return this;
        }

        public Builder weights(VectorWeights w) {
            weights = w;
            return this;
        }

        public Builder recommend(Recommender.Settings r) {
            recommend = r;
            return this;
        }

        public Builder awaitImageEmbeddings(boolean await) {
            awaitImageEmbeddings = await;
            return this;
        }

        public PipelineSettings build() {
            return new PipelineSettings(alertNeighbours, metric, suppressionWindow, silentDiagnosisTags, weights,
                    recommend, awaitImageEmbeddings);
        }
    }
}
