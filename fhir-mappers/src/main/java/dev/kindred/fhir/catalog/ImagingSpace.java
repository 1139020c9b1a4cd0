package dev.kindred.fhir.catalog;

import java.util.List;

/**
 * How ImagingStudies become the {@code imaging} feature space: the DICOM modalities laid out as dimensions
 * (in this order), and the dimension an image embedding supplied on a study must have.
 *
 * @param space the feature space name (default {@code imaging})
 * @param modalities DICOM modality codes (CT, MR, DX …) that get a dimension each
 * @param embeddingDimension floats in an image embedding; null when the catalog accepts no embeddings
 */
public record ImagingSpace(String space, List<String> modalities, Integer embeddingDimension) {

    public static final ImagingSpace NONE = new ImagingSpace(null, null, null);

    public ImagingSpace {
        space = space == null ? "imaging" : space;
        modalities = modalities == null ? List.of() : List.copyOf(modalities);
        if (embeddingDimension != null && embeddingDimension < 1) {
            throw new IllegalArgumentException("imaging.embeddingDimension must be positive: " + embeddingDimension);
        }
    }
}
