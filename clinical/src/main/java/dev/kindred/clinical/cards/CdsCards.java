package dev.kindred.clinical.cards;

import dev.kindred.avro.CardSuggestion;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.TreatmentRecommendation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps a {@link ClinicalAlert} onto a CDS Hooks 2.0 card, as the JSON structure (maps, lists, strings and
 * booleans, ready for any JSON writer): {@code uuid} (the alert id), {@code summary} (under 140 characters),
 * {@code detail} (markdown), {@code indicator} (info, warning or critical), {@code source} ({@code label},
 * optional {@code url}, and {@code topic} naming the trigger type), and one suggestion per suggested
 * treatment, each with a {@code create} action carrying a draft resource of the treatment (a
 * MedicationRequest for RxNorm codes, else a ServiceRequest) for the patient. With suggestions, the card's
 * {@code selectionBehavior} is {@code at-most-one}. A pure function: the same alert gives the same card.
 */
public final class CdsCards {
    public static final int MAX_SUMMARY_CHARS = 140;
    static final String RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
    static final String TOPIC_SYSTEM = "https://kindred.dev/fhir/CodeSystem/trigger-type";

    private CdsCards() {
    }

    /** The card for an alert. */
    public static Map<String, Object> card(ClinicalAlert alert) {
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("uuid", alert.getAlertId());
        card.put("summary", summary(alert.getSummary()));
        card.put("detail", alert.getDetail());
        card.put("indicator", alert.getIndicator().name());
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("label", alert.getSource().getLabel());
        if (alert.getSource().getUrl() != null) {
            source.put("url", alert.getSource().getUrl());
        }
        source.put("topic", Map.of("system", TOPIC_SYSTEM, "code", alert.getTrigger().getType().name()));
        card.put("source", source);
        List<Map<String, Object>> suggestions = new ArrayList<>();
        for (CardSuggestion s : alert.getSuggestions()) {
            suggestions.add(suggestion(alert, s));
        }
        if (!suggestions.isEmpty()) {
            card.put("suggestions", suggestions);
            card.put("selectionBehavior", "at-most-one");
        }
        return card;
    }

    /** A CDS Hooks response holding the cards of the given alerts ({@code {"cards": []}} when there are none). */
    public static Map<String, Object> response(List<ClinicalAlert> alerts) {
        List<Map<String, Object>> cards = new ArrayList<>();
        for (ClinicalAlert a : alerts) {
            cards.add(card(a));
        }
        return Map.of("cards", cards);
    }

    /** A summary cut to fewer than 140 characters, ending in an ellipsis when cut. */
    static String summary(String text) {
        if (text.length() < MAX_SUMMARY_CHARS) {
            return text;
        }
        return text.substring(0, MAX_SUMMARY_CHARS - 2) + "…";
    }

    private static Map<String, Object> suggestion(ClinicalAlert alert, CardSuggestion s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("label", s.getLabel());
        out.put("uuid", s.getUuid());
        out.put("isRecommended", s.getIsRecommended());
        TreatmentRecommendation r = recommendationFor(alert, s.getTreatment());
        if (r != null) {
            Map<String, Object> action = new LinkedHashMap<>();
            action.put("type", "create");
            action.put("description", "Draft an order for " + (r.getDisplay() != null ? r.getDisplay() : r.getCode()));
            action.put("resource", draft(alert.getPatientKey(), r));
            out.put("actions", List.of(action));
        }
        return out;
    }

    private static TreatmentRecommendation recommendationFor(ClinicalAlert alert, String treatment) {
        if (treatment == null) {
            return null;
        }
        for (TreatmentRecommendation r : alert.getRecommendations()) {
            if (treatment.equals(r.getSystem() + "|" + r.getCode())) {
                return r;
            }
        }
        return null;
    }

    private static Map<String, Object> draft(String patientKey, TreatmentRecommendation r) {
        Map<String, Object> coding = new LinkedHashMap<>();
        coding.put("system", r.getSystem());
        coding.put("code", r.getCode());
        if (r.getDisplay() != null) {
            coding.put("display", r.getDisplay());
        }
        Map<String, Object> concept = Map.of("coding", List.of(coding));
        Map<String, Object> resource = new LinkedHashMap<>();
        boolean medication = RXNORM.equals(r.getSystem());
        resource.put("resourceType", medication ? "MedicationRequest" : "ServiceRequest");
        resource.put("status", "draft");
        resource.put("intent", "proposal");
        resource.put(medication ? "medicationCodeableConcept" : "code", concept);
        resource.put("subject", Map.of("reference", "Patient/" + patientKey));
        return resource;
    }
}
