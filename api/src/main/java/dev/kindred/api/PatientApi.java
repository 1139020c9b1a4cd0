package dev.kindred.api;

import static dev.kindred.api.Responses.json;

import dev.kindred.api.alerts.AlertJson;
import dev.kindred.api.auth.ApiAuth;
import dev.kindred.api.state.KindredStateReader;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.advice.OnDemandAdvice;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.index.IndexedVector;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The patient endpoints over interactive queries: {@code /api/patients/{key}} and {@code .../similar}, and the
 * internal endpoint other instances forward a patient's state request to.
 */
final class PatientApi {
    private final KindredStateReader reader;
    private final OnDemandAdvice advice;
    private final FeatureCatalog catalog;
    private final ApiAuth auth;

    PatientApi(KindredStateReader reader, OnDemandAdvice advice, FeatureCatalog catalog, ApiAuth auth) {
        this.reader = reader;
        this.advice = advice;
        this.catalog = catalog;
        this.auth = auth;
    }

    void patient(Context ctx) {
        String key = ctx.pathParam("key");
        PatientState state = requireState(ctx, key);
        if (state == null) {
            json(ctx, 404, Map.of("error", "no such patient"));
            return;
        }
        Map<String, Object> out = PatientJson.of(state, catalog, advice.vectorizer(), ctx.attribute("servedBy"));
        Map<String, Object> indexed = new LinkedHashMap<>();
        reader.indexStore().ifPresent(store -> store.spaces().forEach(space ->
                store.index(space).flatMap(i -> i.get(key)).ifPresent(v -> indexed.put(space, v.version()))));
        out.put("indexedVersions", indexed);
        json(ctx, 200, out);
    }

    void similar(Context ctx) {
        String key = ctx.pathParam("key");
        PatientState state = requireState(ctx, key);
        if (state == null) {
            json(ctx, 404, Map.of("error", "no such patient"));
            return;
        }
        Optional<ClinicalAlert> now = advice.currentAlert(state, reader.patientIndex(), Instant.now());
        if (now.isEmpty()) {
            json(ctx, 200, Map.of("patientKey", key, "similarPatients", List.of(), "recommendations", List.of(),
                    "note", "the patient has no clinical vector yet"));
            return;
        }
        ClinicalAlert a = now.get();
        boolean identified = auth.identified(ctx.attribute("role"));
        Map<String, String> names = AlertJson.pseudonyms(a.getSimilarPatients());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("patientKey", key);
        out.put("servedBy", ctx.attribute("servedBy"));
        out.put("computedAt", a.getProcessingTime().toString());
        out.put("k", advice.neighbours());
        out.put("basis", a.getSummary());
        out.put("similarPatients", AlertJson.similar(a.getSimilarPatients(), names, identified, this::outcomesOf));
        out.put("recommendations", AlertJson.recommendations(a.getRecommendations(), names, identified));
        out.put("identified", identified);
        json(ctx, 200, out);
    }

    /** A similar patient's treatment outcomes now, from the index; the alert endpoints show them too. */
    List<TreatmentOutcome> outcomesOf(String key) {
        return reader.indexed(advice.vectorizer().clinicalSpace(), key).map(IndexedVector::payload).orElse(List.of());
    }

    /** The patient's state on this instance only: the other instances' forwarded requests end here. */
    void internalState(Context ctx) {
        Optional<PatientState> state = reader.localState(ctx.pathParam("key"));
        if (state.isEmpty()) {
            ctx.status(404);
            return;
        }
        ctx.contentType(KindredStateReader.STATE_MEDIA_TYPE).result(KindredStateReader.encode(state.get()));
    }

    private PatientState requireState(Context ctx, String key) {
        Optional<KindredStateReader.Located> located = reader.state(key);
        if (located.isEmpty()) {
            return null;
        }
        ctx.attribute("servedBy", located.get().servedBy());
        return located.get().state();
    }
}
