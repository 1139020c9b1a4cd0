package dev.kindred.fhir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.hl7.fhir.r4.model.Base64BinaryType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.ImagingStudy;

/**
 * The image embedding extension: an ImagingStudy may carry one image embedding computed by the hospital's
 * own model, which Kindred puts into the patient's imaging vector unchanged.
 *
 * <pre>
 * "extension": [{
 *   "url": "https://kindred.dev/fhir/StructureDefinition/image-embedding",
 *   "valueBase64Binary": "&lt;base64 of the floats as little-endian IEEE 754 float32, no header&gt;"
 * }]
 * </pre>
 *
 * The extension sits on the ImagingStudy itself (not on a series or instance), at most once. The number of
 * floats must equal the catalog's {@code imaging.embeddingDimension}; a value that is not base64, whose length
 * is not a multiple of 4 bytes, of another dimension, or with a NaN or infinite float rejects the study with
 * bad-value. Without the extension the study maps as usual, with no embedding.
 */
public final class ImageEmbedding {
    /** The extension URL. */
    public static final String URL = "https://kindred.dev/fhir/StructureDefinition/image-embedding";

    private ImageEmbedding() {
    }

    /** The embedding on a study, or null when it has none. */
    static List<Float> read(ImagingStudy study, Integer expectedDimension) {
        List<Extension> extensions = study.getExtensionsByUrl(URL);
        if (extensions.isEmpty()) {
            return null;
        }
        String id = MappingSupport.idOf(study);
        if (extensions.size() > 1) {
            throw bad("ImagingStudy carries " + extensions.size() + " image-embedding extensions, at most one is allowed",
                    id);
        }
        if (!(extensions.get(0).getValue() instanceof Base64BinaryType)) {
            throw bad("ImagingStudy image-embedding extension has no valueBase64Binary", id);
        }
        String text = ((Base64BinaryType) extensions.get(0).getValue()).getValueAsString();
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(text == null ? "" : text);
        } catch (IllegalArgumentException e) {
            throw bad("ImagingStudy image-embedding is not valid base64", id);
        }
        if (bytes.length == 0 || bytes.length % Float.BYTES != 0) {
            throw bad("ImagingStudy image-embedding has " + bytes.length + " bytes, not a positive multiple of 4"
                    + " (float32)", id);
        }
        int dimension = bytes.length / Float.BYTES;
        if (expectedDimension == null) {
            throw bad("ImagingStudy carries an image embedding but the feature catalog declares no"
                    + " imaging.embeddingDimension", id);
        }
        if (dimension != expectedDimension) {
            throw bad("ImagingStudy image-embedding has " + dimension + " dimensions, the catalog expects "
                    + expectedDimension, id);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Float> out = new ArrayList<>(dimension);
        for (int i = 0; i < dimension; i++) {
            float f = buffer.getFloat();
            if (!Float.isFinite(f)) {
                throw bad("ImagingStudy image-embedding dimension " + i + " is not a finite number", id);
            }
            out.add(f);
        }
        return out;
    }

    /** The base64 text of an embedding in the extension's encoding, for producers and tests. */
    public static String encode(float[] embedding) {
        ByteBuffer buffer = ByteBuffer.allocate(embedding.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : embedding) {
            buffer.putFloat(f);
        }
        return Base64.getEncoder().encodeToString(buffer.array());
    }

    private static Rejection bad(String message, String id) {
        return new Rejection(RejectionReason.BAD_VALUE, message, "ImagingStudy", id);
    }
}
