package dev.kindred.api.cds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindred.api.alerts.AlertView;
import dev.kindred.api.feedback.FeedbackRecorder;
import dev.kindred.api.json.Json;
import dev.kindred.api.state.KindredStateReader;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FactKind;
import dev.kindred.avro.Feedback;
import dev.kindred.avro.FeedbackOutcome;
import dev.kindred.avro.PatientState;
import dev.kindred.clinical.advice.OnDemandAdvice;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.MappingResult;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The CDS Hooks 2.0 services: discovery, {@code patient-view} (cards from the patient's latest alerts, or computed
 * on request from its current state when it has none), {@code order-select} and {@code order-sign} (how similar
 * patients did on each drafted MedicationRequest, better-supported alternatives as suggestions), and feedback.
 *
 * <p>Data: Kindred's own state of the patient (any instance, see {@link KindredStateReader}), with the prefetch the
 * client sent folded in. A patient Kindred does not know is built from the prefetch, or else from the templates
 * fetched from {@code fhirServer}; with neither, the call answers 412.
 */
public final class CdsHooksService {
    public static final String PATIENT_VIEW = "kindred-patient-view";
    public static final String ORDER_SELECT = "kindred-order-select";
    public static final String ORDER_SIGN = "kindred-order-sign";
    static final int MAX_ALERT_CARDS = 3;

    /** An answer: HTTP status and JSON body. */
    public record Answer(int status, Object body) {
        static Answer error(int status, String message) {
            return new Answer(status, Map.of("error", message));
        }
    }

    private final KindredStateReader reader;
    private final AlertView alerts;
    private final OnDemandAdvice advice;
    private final PatientPipeline pipeline;
    private final FhirMapper mapper;
    private final PatientData data;
    private final Cards cards;
    private final FeedbackRecorder feedback;

    public CdsHooksService(KindredStateReader reader, AlertView alerts, OnDemandAdvice advice, PatientPipeline pipeline,
            FhirMapper mapper, PatientData data, Cards cards, FeedbackRecorder feedback) {
        this.reader = reader;
        this.alerts = alerts;
        this.advice = advice;
        this.pipeline = pipeline;
        this.mapper = mapper;
        this.data = data;
        this.cards = cards;
        this.feedback = feedback;
    }

    /** {@code GET /cds-services}. */
    public Map<String, Object> discovery() {
        List<Object> services = new ArrayList<>();
        services.add(service("patient-view", PATIENT_VIEW, "Kindred: similar patients and what worked for them",
                "Cards from the patient's latest Kindred alerts (a value out of range, a new diagnosis or imaging"
                        + " study), or computed now from the patient's current state: the most similar patients,"
                        + " de-identified, and the treatments that worked for them with counts and a 95 % Wilson"
                        + " lower bound."));
        services.add(service("order-select", ORDER_SELECT, "Kindred: how similar patients did on this medication",
                "For each drafted MedicationRequest: how many similar patients received it, how many improved, the"
                        + " similarity-weighted rate and its 95 % Wilson lower bound, and better-supported"
                        + " alternatives for the same target as suggestions."));
        services.add(service("order-sign", ORDER_SIGN, "Kindred: how similar patients did on these medications",
                "As order-select, for every MedicationRequest about to be signed."));
        return Map.of("services", services);
    }

    private static Map<String, Object> service(String hook, String id, String title, String description) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("hook", hook);
        s.put("title", title);
        s.put("description", description);
        s.put("id", id);
        s.put("prefetch", PatientData.TEMPLATES);
        s.put("usageRequirements", "Send a JWT from an issuer configured in Kindred. Prefetch is optional for"
                + " patients Kindred already follows; for others send it, or fhirServer with fhirAuthorization.");
        return s;
    }

    public boolean known(String serviceId) {
        return PATIENT_VIEW.equals(serviceId) || ORDER_SELECT.equals(serviceId) || ORDER_SIGN.equals(serviceId);
    }

    /** {@code POST /cds-services/{id}}. */
    public Answer call(String serviceId, JsonNode request, Instant now) {
        if (!known(serviceId)) {
            return Answer.error(404, "no CDS service " + serviceId);
        }
        if (request == null || !request.isObject()) {
            return Answer.error(400, "the request body must be a JSON object");
        }
        String expectedHook = switch (serviceId) {
            case PATIENT_VIEW -> "patient-view";
            case ORDER_SELECT -> "order-select";
            default -> "order-sign";
        };
        if (!expectedHook.equals(request.path("hook").asText())) {
            return Answer.error(400, "service " + serviceId + " answers the " + expectedHook + " hook");
        }
        if (!request.hasNonNull("hookInstance")) {
            return Answer.error(400, "hookInstance is required");
        }
        JsonNode context = request.path("context");
        String patientId = patientId(context.path("patientId").asText(null));
        if (patientId == null || patientId.isBlank()) {
            return Answer.error(400, "context.patientId is required");
        }
        if (request.hasNonNull("fhirAuthorization") && !request.hasNonNull("fhirServer")) {
            return Answer.error(400, "fhirAuthorization requires fhirServer");
        }
        if (!PATIENT_VIEW.equals(serviceId) && !context.path("draftOrders").isObject()) {
            return Answer.error(400, "context.draftOrders (a Bundle) is required");
        }
        if (PATIENT_VIEW.equals(serviceId)) {
            List<AlertView.Entry> latest = alerts.ofPatient(patientId);
            if (!latest.isEmpty()) {
                return new Answer(200, Json.cdsResponse(alertCards(latest)));
            }
        }
        PatientState state;
        try {
            state = state(patientId, request);
        } catch (PatientData.Missing e) {
            return Answer.error(412, e.getMessage());
        }
        if (PATIENT_VIEW.equals(serviceId)) {
            Optional<ClinicalAlert> alert = advice.currentAlert(state, reader.patientIndex(), now);
            if (alert.isEmpty()) {
                return Answer.error(412, "the data about the patient has nothing Kindred compares patients on");
            }
            return new Answer(200, Json.cdsResponse(List.of(cards.alertCard(alert.get(), true))));
        }
        return new Answer(200, Json.cdsResponse(medicationCards(serviceId, patientId, state, context, now)));
    }

    /** A patient id from context, with a {@code Patient/} prefix some clients add removed. */
    static String patientId(String raw) {
        if (raw == null) {
            return null;
        }
        String id = raw.strip();
        return id.startsWith("Patient/") ? id.substring("Patient/".length()) : id;
    }

    private List<Map<String, Object>> alertCards(List<AlertView.Entry> latest) {
        List<ClinicalAlert> picked = new ArrayList<>();
        Set<String> causes = new HashSet<>();
        for (AlertView.Entry e : latest) {
            ClinicalAlert a = e.alert();
            if (causes.add(a.getTrigger().getType() + "|" + a.getTrigger().getFeatureId()) && picked.size() < MAX_ALERT_CARDS) {
                picked.add(a);
            }
        }
        picked.sort(Comparator.comparing((ClinicalAlert a) -> a.getIndicator().ordinal()).reversed()
                .thenComparing(ClinicalAlert::getEventTime, Comparator.reverseOrder()));
        List<Map<String, Object>> out = new ArrayList<>();
        for (ClinicalAlert a : picked) {
            out.add(cards.alertCard(a, false));
        }
        return out;
    }

    /**
     * The patient's state for this call: Kindred's own with the prefetch folded in; for a patient Kindred does not
     * know, the prefetch, or what the FHIR server gives.
     */
    PatientState state(String patientId, JsonNode request) throws PatientData.Missing {
        Optional<KindredStateReader.Located> known;
        try {
            known = reader.state(patientId);
        } catch (KindredStateReader.StateUnavailableException e) {
            known = Optional.empty();
        }
        PatientData.Loaded loaded = data.fromPrefetch(patientId, request.get("prefetch"));
        if (known.isEmpty() && loaded.facts().isEmpty()) {
            if (request.hasNonNull("fhirServer")) {
                loaded = data.fetch(patientId, request.get("fhirServer").asText(), request.get("fhirAuthorization"),
                        loaded.prefetchKeysUsed());
            } else {
                throw new PatientData.Missing("Kindred does not know the patient, and the call brought neither"
                        + " prefetch nor fhirServer");
            }
        }
        PatientState base = known.map(KindredStateReader.Located::state).orElse(null);
        if (loaded.facts().isEmpty()) {
            if (base == null) {
                throw new PatientData.Missing("no data about the patient (prefetch and FHIR server gave none)");
            }
            return base;
        }
        return pipeline.load(base, loaded.facts(), null).state();
    }

    private List<Map<String, Object>> medicationCards(String serviceId, String patientId, PatientState state,
            JsonNode context, Instant now) {
        Set<String> selections = new HashSet<>();
        if (ORDER_SELECT.equals(serviceId)) {
            for (JsonNode s : context.path("selections")) {
                selections.add(s.asText());
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode entry : context.path("draftOrders").path("entry")) {
            JsonNode resource = entry.path("resource");
            if (!"MedicationRequest".equals(resource.path("resourceType").asText())) {
                continue;
            }
            String reference = resource.hasNonNull("id") ? "MedicationRequest/" + resource.get("id").asText() : null;
            if (!selections.isEmpty() && (reference == null || !selections.contains(reference))) {
                continue;
            }
            Optional<ClinicalFact> drafted = drafted(patientId, resource, now);
            if (drafted.isEmpty()) {
                continue;
            }
            ClinicalFact f = drafted.get();
            List<String> reasons = f.getReasons().stream().filter(r -> r.contains("|")).toList();
            advice.medicationEvidence(state, reader.patientIndex(), f.getSystem(), f.getCode(), f.getDisplay(), reasons,
                    now).ifPresent(e -> out.add(cards.medicationCard(serviceId, patientId, reference, e)));
        }
        return out;
    }

    /** The drafted medication as a treatment fact, through the same mapper as the stream. */
    private Optional<ClinicalFact> drafted(String patientId, JsonNode resource, Instant now) {
        ObjectNode copy = resource.deepCopy();
        if (!copy.path("subject").hasNonNull("reference")) {
            copy.putObject("subject").put("reference", "Patient/" + patientId);
        }
        if (!copy.hasNonNull("authoredOn")) {
            copy.put("authoredOn", now.toString());
        }
        MappingResult result = mapper.map(Json.bytes(copy), now);
        return result.facts().stream().filter(f -> f.getKind() == FactKind.TREATMENT).findFirst();
    }

    /**
     * {@code POST /cds-services/{id}/feedback}: each entry recorded once on the feedback topic.
     *
     * @param sender who sent it (the JWT issuer), recorded with it
     */
    public Answer feedback(String serviceId, JsonNode body, String sender, Instant now) {
        if (!known(serviceId)) {
            return Answer.error(404, "no CDS service " + serviceId);
        }
        JsonNode list = body == null ? null : body.get("feedback");
        if (list == null || !list.isArray() || list.isEmpty()) {
            return Answer.error(400, "feedback must be a non-empty array");
        }
        List<Feedback> parsed = new ArrayList<>();
        for (JsonNode f : list) {
            try {
                parsed.add(parse(serviceId, f, sender, now));
            } catch (IllegalArgumentException e) {
                return Answer.error(400, e.getMessage());
            }
        }
        for (Feedback f : parsed) {
            feedback.record(f);
        }
        return new Answer(200, null);
    }

    static Feedback parse(String serviceId, JsonNode f, String sender, Instant now) {
        String card = f.path("card").asText(null);
        if (card == null || card.isBlank()) {
            throw new IllegalArgumentException("feedback.card is required");
        }
        FeedbackOutcome outcome;
        try {
            outcome = FeedbackOutcome.valueOf(f.path("outcome").asText(""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("feedback.outcome must be accepted or overridden");
        }
        Instant at;
        try {
            at = f.hasNonNull("outcomeTimestamp") ? Instant.parse(f.get("outcomeTimestamp").asText())
                    : null;
        } catch (DateTimeParseException e) {
            at = null;
        }
        if (at == null) {
            try {
                at = java.time.OffsetDateTime.parse(f.path("outcomeTimestamp").asText()).toInstant();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("feedback.outcomeTimestamp must be an ISO-8601 instant");
            }
        }
        List<String> accepted = new ArrayList<>();
        for (JsonNode s : f.path("acceptedSuggestions")) {
            if (s.hasNonNull("id")) {
                accepted.add(s.get("id").asText());
            }
        }
        if (outcome == FeedbackOutcome.accepted && f.has("overrideReason")) {
            throw new IllegalArgumentException("an accepted card has no overrideReason");
        }
        JsonNode reason = f.path("overrideReason").path("reason");
        String system = reason.path("system").asText(null);
        String code = reason.path("code").asText(null);
        String display = reason.path("display").asText(null);
        String comment = f.path("overrideReason").path("userComment").asText(null);
        return Feedback.newBuilder()
                .setFeedbackId(FeedbackRecorder.feedbackId(serviceId, card, outcome, accepted, system, code, comment, at))
                .setService(serviceId)
                .setCard(card)
                .setOutcome(outcome)
                .setAcceptedSuggestions(accepted)
                .setOverrideReasonSystem(system)
                .setOverrideReasonCode(code)
                .setOverrideReasonDisplay(display)
                .setUserComment(comment)
                .setOutcomeTimestamp(at)
                .setReceivedAt(now)
                .setSender(sender)
                .build();
    }
}
