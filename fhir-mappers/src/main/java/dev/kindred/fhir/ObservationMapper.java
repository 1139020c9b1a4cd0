package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.EffectiveTimeSource;
import dev.kindred.avro.FactKind;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.fhir.catalog.Finding;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Observation.ObservationReferenceRangeComponent;
import org.hl7.fhir.r4.model.Observation.ObservationStatus;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Type;

/**
 * Maps an Observation to clinical facts: one per catalog feature found in its code or its components
 * (the blood-pressure panel carries systolic and diastolic as components), with the value converted to
 * the feature's canonical unit.
 *
 * <ul>
 *   <li>status preliminary, final, amended, corrected (or absent) give facts; entered-in-error and cancelled
 *       give retractions of the features this resource fed; registered and unknown give nothing yet</li>
 *   <li>effective time: effective[x] (dateTime, Period start, instant), else issued, else arrival time; the
 *       fact says which was used</li>
 *   <li>the resource's own referenceRange and interpretation travel on the fact and take precedence over
 *       the catalog's range downstream</li>
 *   <li>a unit that cannot be converted rejects the resource (unconvertible-unit): a value is never used in
 *       a unit the catalog does not know</li>
 * </ul>
 */
public final class ObservationMapper {
    static final String LOINC = "http://loinc.org";
    static final String UCUM = "http://unitsofmeasure.org";

    private final FeatureCatalog catalog;

    public ObservationMapper(FeatureCatalog catalog) {
        this.catalog = catalog;
    }

    /** Facts of one Observation whose patient key is already resolved; empty when nothing is catalogued. */
    public List<ClinicalFact> map(Observation obs, String patientKey, Instant arrivalTime) {
        ObservationStatus status = obs.getStatus();
        if (status == ObservationStatus.REGISTERED || status == ObservationStatus.UNKNOWN) {
            return List.of();
        }
        boolean retracted = status == ObservationStatus.ENTEREDINERROR || status == ObservationStatus.CANCELLED;
        Timing timing = timing(obs, arrivalTime);
        String resourceId = MappingSupport.idOf(obs);

        List<ClinicalFact> facts = new ArrayList<>();
        addFacts(facts, obs, obs.getCode(), obs.getValue(), obs.getReferenceRange(), obs.hasDataAbsentReason(),
                patientKey, timing, retracted, resourceId);
        for (Observation.ObservationComponentComponent component : obs.getComponent()) {
            addFacts(facts, obs, component.getCode(), component.getValue(), component.getReferenceRange(),
                    component.hasDataAbsentReason(), patientKey, timing, retracted, resourceId);
        }
        return facts;
    }

    private void addFacts(List<ClinicalFact> out, Observation obs, CodeableConcept code, Type value,
            List<ObservationReferenceRangeComponent> ranges, boolean absent, String patientKey, Timing timing,
            boolean retracted, String resourceId) {
        for (Coding coding : code.getCoding()) {
            if (!LOINC.equals(coding.getSystem()) || !coding.hasCode()) {
                continue;
            }
            Feature feature = catalog.featureForLoinc(coding.getCode());
            Finding finding = catalog.findingForLoinc(coding.getCode());
            if (feature == null && finding == null) {
                continue;
            }
            ClinicalFact.Builder fact = ClinicalFact.newBuilder()
                    .setPatientKey(patientKey)
                    .setSystem(LOINC)
                    .setCode(coding.getCode())
                    .setDisplay(coding.getDisplay())
                    .setEffectiveTime(timing.time)
                    .setEffectiveTimeSource(timing.source)
                    .setRetracted(retracted)
                    .setSourceResourceType("Observation")
                    .setSourceResourceId(resourceId)
                    .setInterpretation(interpretation(obs));
            if (retracted) {
                if (feature != null) {
                    out.add(ClinicalFact.newBuilder(fact).setKind(FactKind.MEASUREMENT)
                            .setFeatureId(feature.id()).build());
                }
                if (finding != null) {
                    out.add(ClinicalFact.newBuilder(fact).setKind(FactKind.FINDING)
                            .setFeatureId(finding.id()).build());
                }
                return;
            }
            if (absent || value == null || value.isEmpty()) {
                return;
            }
            // The value's type picks the target: a quantity feeds the numeric feature, a coded answer the finding.
            if (value instanceof CodeableConcept && finding != null) {
                ClinicalFact f = finding(fact, finding, (CodeableConcept) value);
                if (f != null) {
                    out.add(f);
                }
            } else if (feature != null) {
                out.add(measurement(fact, feature, value, ranges, resourceId));
            }
            return;
        }
    }

    private ClinicalFact measurement(ClinicalFact.Builder fact, Feature feature, Type value,
            List<ObservationReferenceRangeComponent> ranges, String resourceId) {
        if (!(value instanceof Quantity)) {
            throw new Rejection(RejectionReason.BAD_VALUE, "Observation for feature " + feature.id()
                    + " has a value[x] of type " + value.fhirType() + ", expected Quantity", "Observation", resourceId);
        }
        Quantity q = (Quantity) value;
        if (!q.hasValue()) {
            throw new Rejection(RejectionReason.BAD_VALUE,
                    "Observation for feature " + feature.id() + " has a Quantity without a value", "Observation", resourceId);
        }
        double canonical = convert(feature, q, resourceId);
        if (!Double.isFinite(canonical)) {
            throw new Rejection(RejectionReason.BAD_VALUE, "Observation value for " + feature.id() + " is not finite",
                    "Observation", resourceId);
        }
        fact.setKind(FactKind.MEASUREMENT).setFeatureId(feature.id()).setValue(canonical).setUnit(feature.unit());
        if (!ranges.isEmpty()) {
            ObservationReferenceRangeComponent range = ranges.get(0);
            if (range.hasLow() && range.getLow().hasValue()) {
                fact.setReferenceLow(convertRangeEnd(feature, range.getLow(), q, resourceId));
            }
            if (range.hasHigh() && range.getHigh().hasValue()) {
                fact.setReferenceHigh(convertRangeEnd(feature, range.getHigh(), q, resourceId));
            }
        }
        return fact.build();
    }

    private static ClinicalFact finding(ClinicalFact.Builder fact, Finding finding, CodeableConcept answer) {
        for (Coding c : answer.getCoding()) {
            Double score = finding.score(c.getSystem(), c.getCode());
            if (score != null) {
                return fact.setKind(FactKind.FINDING).setFeatureId(finding.id()).setValue(score).setUnit("1").build();
            }
        }
        return null;
    }

    private static double convert(Feature feature, Quantity q, String resourceId) {
        String ucum = UCUM.equals(q.getSystem()) ? q.getCode() : null;
        OptionalDouble v = FeatureCatalog.toCanonical(feature, q.getValue().doubleValue(), ucum, q.getUnit());
        if (v.isEmpty()) {
            throw new Rejection(RejectionReason.UNCONVERTIBLE_UNIT, "unit '" + unitOf(q) + "' of feature "
                    + feature.id() + " cannot be converted to " + feature.unit(), "Observation", resourceId);
        }
        return v.getAsDouble();
    }

    /** A range end without its own unit is in the value's unit. */
    private static double convertRangeEnd(Feature feature, Quantity end, Quantity valueQuantity, String resourceId) {
        Quantity withUnit = end.copy();
        if (!end.hasUnit() && !end.hasCode()) {
            withUnit.setUnit(valueQuantity.getUnit()).setCode(valueQuantity.getCode()).setSystem(valueQuantity.getSystem());
        }
        return convert(feature, withUnit, resourceId);
    }

    private static String unitOf(Quantity q) {
        if (q.hasCode()) {
            return q.getCode();
        }
        return q.hasUnit() ? q.getUnit() : "(none)";
    }

    private static String interpretation(Observation obs) {
        for (CodeableConcept concept : obs.getInterpretation()) {
            for (Coding c : concept.getCoding()) {
                if (c.hasCode()) {
                    return c.getCode();
                }
            }
        }
        return null;
    }

    private record Timing(Instant time, EffectiveTimeSource source) {
    }

    private static Timing timing(Observation obs, Instant arrival) {
        Instant t = null;
        if (obs.hasEffectiveDateTimeType()) {
            t = FhirTimes.toInstant(obs.getEffectiveDateTimeType());
        } else if (obs.hasEffectivePeriod()) {
            t = FhirTimes.toInstant(obs.getEffectivePeriod().getStartElement());
            if (t == null) {
                t = FhirTimes.toInstant(obs.getEffectivePeriod().getEndElement());
            }
        } else if (obs.hasEffectiveInstantType()) {
            t = FhirTimes.toInstant(obs.getEffectiveInstantType());
        }
        if (t != null) {
            return new Timing(t, EffectiveTimeSource.EFFECTIVE);
        }
        if (obs.hasIssued()) {
            return new Timing(FhirTimes.toInstant(obs.getIssuedElement()), EffectiveTimeSource.ISSUED);
        }
        return new Timing(arrival, EffectiveTimeSource.ARRIVAL);
    }
}
