package dev.kindred.api.cds;

import dev.kindred.api.alerts.AlertJson;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.clinical.advice.OnDemandAdvice;
import dev.kindred.clinical.alerts.AlertFactory;
import dev.kindred.clinical.cards.CdsCards;
import dev.kindred.clinical.recommend.Recommender;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * CDS Hooks cards: an alert's card as {@link CdsCards} maps it, with similar patients de-identified in its detail,
 * override reasons and a link to the patient in the dashboard; and the card of a drafted medication (how similar
 * patients did on it, better-supported alternatives as suggestions).
 */
public final class Cards {
    static final String OVERRIDE_SYSTEM = "https://kindred.dev/fhir/CodeSystem/override-reason";
    static final String RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
    public static final List<Map<String, Object>> OVERRIDE_REASONS = List.of(
            coding("not-comparable", "The similar patients are not comparable to this patient"),
            coding("already-addressed", "Already addressed"),
            coding("patient-preference", "Patient preference"),
            coding("contraindicated", "Contraindicated for this patient"),
            coding("weak-evidence", "Evidence too weak"));

    private final String publicUrl;

    public Cards(String publicUrl) {
        this.publicUrl = publicUrl;
    }

    private static Map<String, Object> coding(String code, String display) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("system", OVERRIDE_SYSTEM);
        c.put("code", code);
        c.put("display", display);
        return c;
    }

    /** The card of an alert, other patients de-identified; {@code onRequest} marks an alert computed on request. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> alertCard(ClinicalAlert alert, boolean onRequest) {
        Map<String, Object> card = new LinkedHashMap<>(CdsCards.card(alert));
        card.put("detail", AlertJson.deidentify(alert.getDetail(), AlertJson.pseudonyms(alert.getSimilarPatients())));
        Map<String, Object> source = new LinkedHashMap<>((Map<String, Object>) card.get("source"));
        if (onRequest) {
            source.put("label", AlertFactory.SOURCE_LABEL + " (computed on request)");
            if (OnDemandAdvice.ON_REQUEST_SYSTEM.equals(alert.getTrigger().getSystem())) {
                source.put("topic", Map.of("system", OnDemandAdvice.ON_REQUEST_SYSTEM, "code",
                        OnDemandAdvice.CURRENT_STATE_CODE, "display", "Current state"));
            }
        }
        card.put("source", source);
        card.put("overrideReasons", OVERRIDE_REASONS);
        card.put("links", List.of(link(alert.getPatientKey(), alert.getAlertId())));
        return card;
    }

    private Map<String, Object> link(String patientKey, String alertId) {
        Map<String, Object> link = new LinkedHashMap<>();
        link.put("label", "Open the patient in Kindred");
        link.put("url", publicUrl + "/dashboard/#patient=" + URLEncoder.encode(patientKey, StandardCharsets.UTF_8)
                + (alertId == null ? "" : "&alert=" + alertId));
        link.put("type", "absolute");
        return link;
    }

    /** A card's id for a drafted medication: stable for the patient, service, medication and draft. */
    static String medicationCardId(String patientId, String service, String treatment, String draftId) {
        return UUID.nameUUIDFromBytes(String.join("|", patientId, service, treatment, String.valueOf(draftId))
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * The card of a drafted medication.
     *
     * @param draftReference the draft's Type/id when it has an id (for the delete action), or null
     */
    public Map<String, Object> medicationCard(String service, String patientId, String draftReference,
            OnDemandAdvice.MedicationEvidence e) {
        String uuid = medicationCardId(patientId, service, e.treatment(), draftReference);
        String name = e.display() != null ? e.display() : e.treatment();
        Optional<Recommender.Tally> t = e.drafted();
        String summary;
        if (t.isPresent() && t.get().withOutcome() > 0) {
            summary = String.format(Locale.ROOT, "%s: improved in %d of %d similar patients (lower bound %d%%)", name,
                    t.get().improved(), t.get().withOutcome(), Math.round(t.get().wilsonLowerBound() * 100));
        } else if (t.isPresent()) {
            summary = String.format(Locale.ROOT, "%s: %d similar patients received it, no outcome known yet", name,
                    t.get().treated());
        } else {
            summary = String.format(Locale.ROOT, "%s: none of %d similar patients received it", name,
                    e.neighbours().size());
        }
        if (!e.alternatives().isEmpty()) {
            summary += "; " + e.alternatives().size() + " better supported";
        }
        boolean warning = !e.alternatives().isEmpty() && t.isPresent() && t.get().withOutcome() > 0
                && e.alternatives().get(0).getWilsonLowerBound() > t.get().weightedRate();

        Map<String, Object> card = new LinkedHashMap<>();
        card.put("uuid", uuid);
        card.put("summary", shorten(summary));
        card.put("detail", medicationDetail(name, e));
        card.put("indicator", warning ? "warning" : "info");
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("label", AlertFactory.SOURCE_LABEL);
        source.put("topic", Map.of("system", "https://kindred.dev/fhir/CodeSystem/card-topic", "code",
                "drafted-medication", "display", "How similar patients did on a drafted medication"));
        card.put("source", source);
        List<Map<String, Object>> suggestions = new ArrayList<>();
        for (TreatmentRecommendation alt : e.alternatives()) {
            if (suggestions.size() >= 3) {
                break;
            }
            suggestions.add(alternative(uuid, patientId, draftReference, name, alt, suggestions.isEmpty()));
        }
        if (!suggestions.isEmpty()) {
            card.put("suggestions", suggestions);
            card.put("selectionBehavior", "at-most-one");
        }
        card.put("overrideReasons", OVERRIDE_REASONS);
        card.put("links", List.of(link(patientId, null)));
        return card;
    }

    private static String shorten(String s) {
        return s.length() < CdsCards.MAX_SUMMARY_CHARS ? s : s.substring(0, CdsCards.MAX_SUMMARY_CHARS - 2) + "…";
    }

    private Map<String, Object> alternative(String cardId, String patientId, String draftReference, String draftedName,
            TreatmentRecommendation alt, boolean first) {
        String altName = alt.getDisplay() != null ? alt.getDisplay() : alt.getCode();
        String key = alt.getSystem() + "|" + alt.getCode();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("label", String.format(Locale.ROOT, "Consider %s instead: improved in %d of %d similar patients"
                        + " (lower bound %d%%)", altName, alt.getNeighboursImproved(), alt.getNeighboursWithOutcome(),
                Math.round(alt.getWilsonLowerBound() * 100)));
        s.put("uuid", AlertFactory.suggestionId(cardId, key));
        s.put("isRecommended", first);
        List<Map<String, Object>> actions = new ArrayList<>();
        if (draftReference != null) {
            Map<String, Object> delete = new LinkedHashMap<>();
            delete.put("type", "delete");
            delete.put("description", "Remove the draft order for " + draftedName);
            delete.put("resourceId", draftReference);
            actions.add(delete);
        }
        Map<String, Object> create = new LinkedHashMap<>();
        create.put("type", "create");
        create.put("description", "Draft an order for " + altName);
        create.put("resource", draft(patientId, alt));
        actions.add(create);
        s.put("actions", actions);
        return s;
    }

    private static Map<String, Object> draft(String patientId, TreatmentRecommendation r) {
        Map<String, Object> coding = new LinkedHashMap<>();
        coding.put("system", r.getSystem());
        coding.put("code", r.getCode());
        if (r.getDisplay() != null) {
            coding.put("display", r.getDisplay());
        }
        boolean medication = RXNORM.equals(r.getSystem());
        Map<String, Object> resource = new LinkedHashMap<>();
        resource.put("resourceType", medication ? "MedicationRequest" : "ServiceRequest");
        resource.put("status", "draft");
        resource.put("intent", "proposal");
        resource.put(medication ? "medicationCodeableConcept" : "code", Map.of("coding", List.of(coding)));
        resource.put("subject", Map.of("reference", "Patient/" + patientId));
        return resource;
    }

    private static String percent(double v) {
        return Math.round(v * 100) + " %";
    }

    static String medicationDetail(String name, OnDemandAdvice.MedicationEvidence e) {
        Map<String, String> names = new LinkedHashMap<>();
        for (OnDemandAdvice.SimilarEvidence n : e.neighbours()) {
            names.putIfAbsent(n.patientKey(), "#" + (names.size() + 1));
        }
        StringBuilder md = new StringBuilder();
        md.append("**").append(name).append("** among the ").append(e.neighbours().size())
                .append(" most similar patients");
        if (e.target() != null) {
            md.append(" (judged on ").append(e.target()).append(e.rule() != null ? ", rule " + e.rule() : "").append(')');
        }
        md.append(":\n\n");
        if (e.drafted().isPresent()) {
            Recommender.Tally t = e.drafted().get();
            md.append("| Treated | Outcome known | Improved | Rate (similarity-weighted) | Lower bound (95 % Wilson) |\n")
                    .append("|---|---|---|---|---|\n")
                    .append("| ").append(t.treated()).append(" | ").append(t.withOutcome()).append(" | ")
                    .append(t.improved()).append(" | ").append(t.withOutcome() == 0 ? "—" : percent(t.weightedRate()))
                    .append(" | ").append(t.withOutcome() == 0 ? "—" : percent(t.wilsonLowerBound())).append(" |\n\n");
        } else {
            md.append("None of them received it.\n\n");
        }
        if (!e.alternatives().isEmpty()) {
            md.append("**Better supported for the same target**\n\n")
                    .append("| Treatment | Treated | Outcome known | Improved | Rate | Lower bound |\n")
                    .append("|---|---|---|---|---|---|\n");
            for (TreatmentRecommendation r : e.alternatives()) {
                md.append("| ").append(r.getDisplay() != null ? r.getDisplay() : r.getCode()).append(" | ")
                        .append(r.getNeighboursTreated()).append(" | ").append(r.getNeighboursWithOutcome())
                        .append(" | ").append(r.getNeighboursImproved()).append(" | ")
                        .append(percent(r.getWeightedImprovementRate())).append(" | ")
                        .append(percent(r.getWilsonLowerBound())).append(" |\n");
            }
            md.append('\n');
        }
        if (!e.neighbours().isEmpty()) {
            md.append("| Similar patient | Similarity | ").append(name).append(" |\n|---|---|---|\n");
            for (OnDemandAdvice.SimilarEvidence n : e.neighbours()) {
                String outcome = "not received";
                for (TreatmentOutcome o : n.outcomes()) {
                    if (e.treatment().equals(o.getSystem() + "|" + o.getCode())) {
                        outcome = o.getStatus().name().toLowerCase(Locale.ROOT).replace('_', ' ');
                    }
                }
                md.append("| ").append(names.get(n.patientKey())).append(" | ")
                        .append(String.format(Locale.ROOT, "%.3f", n.similarity())).append(" | ").append(outcome)
                        .append(" |\n");
            }
        }
        return md.toString();
    }
}
