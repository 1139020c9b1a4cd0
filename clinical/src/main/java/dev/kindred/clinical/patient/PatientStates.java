package dev.kindred.clinical.patient;

import dev.kindred.avro.PatientState;

/**
 * Copies of patient states. Avro's {@code PatientState.newBuilder(state)} deep-copies every map and list of
 * the state, on every fact; Kindred never changes a state's maps, lists or records in place (every change
 * builds new ones), so a shallow copy is as safe and much cheaper.
 */
public final class PatientStates {
    private PatientStates() {
    }

    /** A new state sharing the fields of {@code s}, to be changed with its setters. */
    public static PatientState copy(PatientState s) {
        return new PatientState(s.getPatientKey(), s.getVersion(), s.getFeatures(), s.getLastEventTime(),
                s.getDemographics(), s.getHistory(), s.getTreatments(), s.getDiagnoses(), s.getImaging(),
                s.getImagingEmbedding(), s.getAlertMarks());
    }

    /** A copy of {@code s} with the version one higher. */
    public static PatientState next(PatientState s) {
        PatientState c = copy(s);
        c.setVersion(s.getVersion() + 1);
        return c;
    }
}
