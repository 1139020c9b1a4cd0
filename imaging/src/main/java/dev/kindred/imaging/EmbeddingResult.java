package dev.kindred.imaging;

import java.util.List;

/** How a request ended: an embedding, or a failure with a reason code for the dead letter. */
public sealed interface EmbeddingResult {

    /** The request's {@link EmbeddingRequest#id()}. */
    String requestId();

    /**
     * The study embedding: the mean of the images' unit-length embeddings, scaled to unit length
     * ({@link Vectors#studyEmbedding}).
     *
     * @param imageIds the SOP instance UIDs (or {@code attachment-N}) that went into it, in request order
     */
    record Embedded(String requestId, float[] embedding, List<String> imageIds, long elapsedMillis)
            implements EmbeddingResult {
        public Embedded {
            imageIds = List.copyOf(imageIds);
        }
    }

    /**
     * @param reason the reason code for the dead letter ({@link FailureReason#code()})
     * @param message what happened, with ids but no patient data
     * @param attempts fetch attempts made for the image that failed (1 when nothing was retried)
     */
    record Failed(String requestId, FailureReason reason, String message, int attempts) implements EmbeddingResult {}
}
