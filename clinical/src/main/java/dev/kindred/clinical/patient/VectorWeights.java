package dev.kindred.clinical.patient;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The design of the clinical vector: block weights (multiplied by each feature's catalog weight where
 * one applies) and whether the vector is scaled to unit length. The defaults were chosen with
 * {@code kindred evaluate} on one Synthea population and checked on another (see the README); blocks
 * with weight 0 are left out of the layout.
 *
 * @param catalogWeightsOnPresence whether the presence blocks (abnormal share, measured, count) are
 *     scaled by the catalog weight too; the catalog's weights rate a value's importance, while a rarely
 *     ordered test says much by being ordered at all
 * @param unitLength scale the clinical vector to length 1, so every metric ranks neighbours as cosine
 *     similarity does (euclidean distance between unit vectors is a monotone function of the cosine)
 */
public record VectorWeights(double age, double ageBand, double sex, double latest, double level, double abnormal,
        double abnormalShare, double measured, double count, double trend, double finding, double imaging,
        boolean catalogWeightsOnPresence, boolean unitLength) {

    /** The design measured best: see the README's evaluation section. */
    public static final VectorWeights DEFAULT = builder().age(1).ageBand(1).sex(1).level(0.5).abnormalShare(1).count(1)
            .imaging(1).unitLength(true).build();

    /** Every block at weight 1 (the first design tried), for comparison. */
    public static final VectorWeights ALL_BLOCKS = builder().age(1).ageBand(1).sex(1).latest(1).abnormal(1)
            .abnormalShare(1).measured(1).trend(1).finding(1).imaging(1).catalogWeightsOnPresence(true).build();

    /** Latest values only, z-scored and weighted: the walking skeleton's vectors, the naive baseline. */
    public static final VectorWeights LATEST_VALUES_ONLY = builder().latest(1).finding(1).catalogWeightsOnPresence(true)
            .build();

    /** Age and sex only: the demographic baseline. */
    public static final VectorWeights DEMOGRAPHICS_ONLY = builder().age(1).ageBand(1).sex(1)
            .catalogWeightsOnPresence(true).build();

    /** Every block at weight 0 and both switches off: start here and name what you want. */
    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * These weights with some blocks changed by name ({@code age}, {@code ageBand}, {@code sex}, {@code latest},
     * {@code level}, {@code abnormal}, {@code abnormalShare}, {@code measured}, {@code count}, {@code trend},
     * {@code finding}, {@code imaging}; {@code catalogWeightsOnPresence} and {@code unitLength} as 0 or 1).
     *
     * @throws IllegalArgumentException naming the blocks that do not exist
     */
    public VectorWeights withOverrides(Map<String, Double> overrides) {
        Builder b = toBuilder();
        List<String> unknown = new ArrayList<>();
        overrides.forEach((block, w) -> {
            switch (block) {
                case "age" -> b.age(w);
                case "ageBand" -> b.ageBand(w);
                case "sex" -> b.sex(w);
                case "latest" -> b.latest(w);
                case "level" -> b.level(w);
                case "abnormal" -> b.abnormal(w);
                case "abnormalShare" -> b.abnormalShare(w);
                case "measured" -> b.measured(w);
                case "count" -> b.count(w);
                case "trend" -> b.trend(w);
                case "finding" -> b.finding(w);
                case "imaging" -> b.imaging(w);
                case "catalogWeightsOnPresence" -> b.catalogWeightsOnPresence(w != 0);
                case "unitLength" -> b.unitLength(w != 0);
                default -> unknown.add(block);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown vector blocks " + unknown);
        }
        return b.build();
    }

    /** Named construction of {@link VectorWeights}. */
    public static final class Builder {
        private double age;
        private double ageBand;
        private double sex;
        private double latest;
        private double level;
        private double abnormal;
        private double abnormalShare;
        private double measured;
        private double count;
        private double trend;
        private double finding;
        private double imaging;
        private boolean catalogWeightsOnPresence;
        private boolean unitLength;

        private Builder() {
        }

        private Builder(VectorWeights w) {
            age = w.age;
            ageBand = w.ageBand;
            sex = w.sex;
            latest = w.latest;
            level = w.level;
            abnormal = w.abnormal;
            abnormalShare = w.abnormalShare;
            measured = w.measured;
            count = w.count;
            trend = w.trend;
            finding = w.finding;
            imaging = w.imaging;
            catalogWeightsOnPresence = w.catalogWeightsOnPresence;
            unitLength = w.unitLength;
        }

        public Builder age(double w) {
            age = w;
            return this;
        }

        public Builder ageBand(double w) {
            ageBand = w;
            return this;
        }

        public Builder sex(double w) {
            sex = w;
            return this;
        }

        public Builder latest(double w) {
            latest = w;
            return this;
        }

        public Builder level(double w) {
            level = w;
            return this;
        }

        public Builder abnormal(double w) {
            abnormal = w;
            return this;
        }

        public Builder abnormalShare(double w) {
            abnormalShare = w;
            return this;
        }

        public Builder measured(double w) {
            measured = w;
            return this;
        }

        public Builder count(double w) {
            count = w;
            return this;
        }

        public Builder trend(double w) {
            trend = w;
            return this;
        }

        public Builder finding(double w) {
            finding = w;
            return this;
        }

        public Builder imaging(double w) {
            imaging = w;
            return this;
        }

        public Builder catalogWeightsOnPresence(boolean on) {
            catalogWeightsOnPresence = on;
            return this;
        }

        public Builder unitLength(boolean on) {
            unitLength = on;
            return this;
        }

        public VectorWeights build() {
            return new VectorWeights(age, ageBand, sex, latest, level, abnormal, abnormalShare, measured, count, trend,
                    finding, imaging, catalogWeightsOnPresence, unitLength);
        }
    }

    /** Per-feature blocks in layout order: dimension suffix and weight; blocks of weight 0 are left out. */
    List<Map.Entry<String, Double>> featureBlocks() {
        List<Map.Entry<String, Double>> out = new ArrayList<>();
        for (Map.Entry<String, Double> e : List.of(Map.entry("", latest), Map.entry(":level", level),
                Map.entry(":abnormal", abnormal), Map.entry(":abnormal-share", abnormalShare),
                Map.entry(":measured", measured), Map.entry(":count", count), Map.entry(":trend", trend))) {
            if (e.getValue() != 0) {
                out.add(e);
            }
        }
        return out;
    }
}
