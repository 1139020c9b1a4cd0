package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.DicomImageRef;
import dev.kindred.avro.FactKind;
import dev.kindred.avro.ImagingFacts;
import dev.kindred.fhir.catalog.ImagingSpace;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.ImagingStudy.ImagingStudySeriesComponent;

/**
 * Maps an ImagingStudy to one IMAGING fact for the imaging feature space.
 *
 * <ul>
 *   <li>modalities: DICOM codes of {@code ImagingStudy.modality} and of every series, in order, distinct;</li>
 *   <li>body sites: every series' {@code bodySite} as system|code;</li>
 *   <li>procedure codes: {@code procedureCode} codings as system|code;</li>
 *   <li>series and instances: {@code numberOfSeries}/{@code numberOfInstances}, else counted from the series
 *       (a series' {@code numberOfInstances}, else its instances);</li>
 *   <li>effective time: {@code started}, else the earliest series {@code started}, else {@code meta.lastUpdated}
 *       (ISSUED), else the arrival time;</li>
 *   <li>code: the first procedure code, else the first modality (system DICOM DCM); neither → missing-code;</li>
 *   <li>embedding: see {@link ImageEmbedding};</li>
 *   <li>study UID: the identifier of system {@code urn:dicom:uid} (without {@code urn:oid:}); images: the
 *       series' instances with their UIDs, at most {@value #MAX_IMAGES} (what an embedder may fetch);</li>
 *   <li>status entered-in-error or cancelled retracts the study.</li>
 * </ul>
 */
final class ImagingStudyMapper {
    /** Bounds the instance list a fact carries; the embedder fetches fewer still (one per series by default). */
    static final int MAX_IMAGES = 64;
    private static final String DICOM_UID_SYSTEM = "urn:dicom:uid";

    private final ImagingSpace space;

    ImagingStudyMapper(ImagingSpace space) {
        this.space = space;
    }

    ClinicalFact map(ImagingStudy study, String patientKey, Instant arrivalTime) {
        Set<String> modalities = new LinkedHashSet<>();
        Coding firstModality = null;
        for (Coding c : study.getModality()) {
            if (c.hasCode()) {
                modalities.add(c.getCode());
                firstModality = firstModality == null ? c : firstModality;
            }
        }
        Set<String> bodySites = new LinkedHashSet<>();
        int instancesFromSeries = 0;
        Instant seriesStart = null;
        for (ImagingStudySeriesComponent series : study.getSeries()) {
            Coding m = series.getModality();
            if (m != null && m.hasCode()) {
                modalities.add(m.getCode());
                firstModality = firstModality == null ? m : firstModality;
            }
            Coding site = series.getBodySite();
            if (site != null && site.hasSystem() && site.hasCode()) {
                bodySites.add(MappingSupport.systemCode(site));
            }
            instancesFromSeries += series.hasNumberOfInstances() ? series.getNumberOfInstances()
                    : series.getInstance().size();
            Instant started = FhirTimes.toInstant(series.getStartedElement());
            if (started != null && (seriesStart == null || started.isBefore(seriesStart))) {
                seriesStart = started;
            }
        }
        List<String> procedureCodes = MappingSupport.systemCodes(study.getProcedureCode());
        Coding code = null;
        for (var concept : study.getProcedureCode()) {
            code = code == null ? MappingSupport.pick(concept, MappingSupport.SNOMED) : code;
        }
        String system;
        if (code != null) {
            system = code.getSystem();
        } else if (firstModality != null) {
            code = firstModality;
            system = MappingSupport.DICOM;
        } else {
            throw MappingSupport.missingCode(study, "procedureCode or modality");
        }
        List<Float> embedding = ImageEmbedding.read(study, space.embeddingDimension());

        Instant started = FhirTimes.toInstant(study.getStartedElement());
        Instant updated = study.getMeta().hasLastUpdated() ? FhirTimes.toInstant(study.getMeta().getLastUpdatedElement())
                : null;
        String status = study.hasStatus() ? study.getStatus().toCode() : null;
        ImagingFacts facts = ImagingFacts.newBuilder()
                .setModalities(new ArrayList<>(modalities))
                .setBodySites(new ArrayList<>(bodySites))
                .setProcedureCodes(procedureCodes)
                .setSeries(study.hasNumberOfSeries() ? study.getNumberOfSeries() : study.getSeries().size())
                .setInstances(study.hasNumberOfInstances() ? study.getNumberOfInstances() : instancesFromSeries)
                .setEmbedding(embedding)
                .setStudyUid(studyUid(study))
                .setImages(images(study))
                .build();
        return MappingSupport.fact(FactKind.IMAGING, patientKey, study,
                        MappingSupport.When.of(started != null ? started : seriesStart, updated, arrivalTime))
                .setSystem(system)
                .setCode(code.getCode())
                .setDisplay(code.getDisplay())
                .setStatus(status)
                .setRetracted("entered-in-error".equals(status) || "cancelled".equals(status))
                .setImaging(facts)
                .build();
    }

    private static String studyUid(ImagingStudy study) {
        for (var id : study.getIdentifier()) {
            if (DICOM_UID_SYSTEM.equals(id.getSystem()) && id.hasValue()) {
                String value = id.getValue();
                return value.startsWith("urn:oid:") ? value.substring("urn:oid:".length()) : value;
            }
        }
        return null;
    }

    private static List<DicomImageRef> images(ImagingStudy study) {
        List<DicomImageRef> images = new ArrayList<>();
        for (ImagingStudySeriesComponent series : study.getSeries()) {
            String modality = series.getModality() != null && series.getModality().hasCode()
                    ? series.getModality().getCode() : null;
            for (var instance : series.getInstance()) {
                if (images.size() == MAX_IMAGES) {
                    return images;
                }
                if (series.hasUid() && instance.hasUid()) {
                    images.add(DicomImageRef.newBuilder()
                            .setSeriesUid(series.getUid())
                            .setModality(modality)
                            .setSopInstanceUid(instance.getUid())
                            .setNumber(instance.hasNumber() ? instance.getNumber() : null)
                            .build());
                }
            }
        }
        return images;
    }
}
