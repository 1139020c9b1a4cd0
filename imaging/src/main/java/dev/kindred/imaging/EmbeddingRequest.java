package dev.kindred.imaging;

import java.util.List;
import java.util.Objects;

/** What to embed: a study to fetch from the PACS, or images that came attached to the event. */
public sealed interface EmbeddingRequest {

    /** Names the request in results, metrics and logs: a study UID or a resource id, never patient data. */
    String id();

    /**
     * A DICOM study as an ImagingStudy lists it ({@code identifier} without {@code urn:oid:}, {@code series.uid},
     * {@code series.modality.code}, {@code series.instance.uid} and {@code .number}).
     */
    record DicomStudy(String studyUid, List<Series> series) implements EmbeddingRequest {
        public DicomStudy {
            Objects.requireNonNull(studyUid, "studyUid");
            series = List.copyOf(series);
        }

        @Override
        public String id() {
            return studyUid;
        }
    }

    /** A series; {@code modality} may be null when the ImagingStudy does not say. */
    record Series(String seriesUid, String modality, List<Instance> instances) {
        public Series {
            Objects.requireNonNull(seriesUid, "seriesUid");
            instances = List.copyOf(instances);
        }
    }

    /** An instance; {@code number} (the instance number, for ordering) may be null. */
    record Instance(String sopInstanceUid, Integer number) {
        public Instance {
            Objects.requireNonNull(sopInstanceUid, "sopInstanceUid");
        }
    }

    /** Encoded images (PNG, JPEG) from {@code Media.content} or a {@code Binary}, embedded as one study. */
    record AttachedImages(String id, List<byte[]> images) implements EmbeddingRequest {
        public AttachedImages {
            Objects.requireNonNull(id, "id");
            images = List.copyOf(images);
        }
    }
}
