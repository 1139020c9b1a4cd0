package dev.kindred.imaging;

import java.util.List;

/** Small vector helpers for embeddings. */
public final class Vectors {
    private Vectors() {}

    /** A unit-length copy; a zero vector stays zero (it has no direction to keep). */
    public static float[] l2Normalized(float[] vector) {
        double sumOfSquares = 0;
        for (float v : vector) {
            sumOfSquares += (double) v * v;
        }
        float[] normalized = vector.clone();
        if (sumOfSquares > 0) {
            double scale = 1 / Math.sqrt(sumOfSquares);
            for (int i = 0; i < normalized.length; i++) {
                normalized[i] = (float) (normalized[i] * scale);
            }
        }
        return normalized;
    }

    /**
     * One vector for a study: the mean of its images' unit-length embeddings, scaled to unit length again so
     * that cosine, inner product and euclidean distance rank studies alike. Each image counts equally,
     * whatever the scale of its raw embedding.
     */
    public static float[] studyEmbedding(List<float[]> imageEmbeddings) {
        if (imageEmbeddings.isEmpty()) {
            throw new IllegalArgumentException("a study embedding needs at least one image embedding");
        }
        int dimension = imageEmbeddings.get(0).length;
        double[] sum = new double[dimension];
        for (float[] embedding : imageEmbeddings) {
            if (embedding.length != dimension) {
                throw new IllegalArgumentException("image embeddings differ in dimension: " + dimension + " and "
                        + embedding.length);
            }
            float[] unit = l2Normalized(embedding);
            for (int i = 0; i < dimension; i++) {
                sum[i] += unit[i];
            }
        }
        float[] mean = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            mean[i] = (float) (sum[i] / imageEmbeddings.size());
        }
        return l2Normalized(mean);
    }
}
