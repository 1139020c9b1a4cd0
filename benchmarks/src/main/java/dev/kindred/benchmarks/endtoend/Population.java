package dev.kindred.benchmarks.endtoend;

import dev.kindred.connectors.files.FhirFileReader;
import dev.kindred.connectors.files.FhirResourceRecord;
import dev.kindred.fhir.FhirTopics;
import dev.kindred.fhir.PatientReferences;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The records a run replays, in replay order: the resource types the app consumes (each to its
 * {@link FhirTopics#BY_TYPE} topic) and unreadable input (which the app dead-letters), stably sorted by event
 * time with timeless records (Patients) first, as {@code EventTimeReplayer} orders them.
 */
final class Population {
    /** The replayer's order: by event time, records without one first, ties in reading order. */
    static final Comparator<FhirResourceRecord> REPLAY_ORDER =
            Comparator.comparing(FhirResourceRecord::eventTime, Comparator.nullsFirst(Comparator.naturalOrder()));

    private final String description;
    private final List<FhirResourceRecord> records;
    private final int patients;
    /** The source's records by patient key (in replay order) and the source's patient keys, for more copies. */
    private final Map<String, List<FhirResourceRecord>> sourceByPatient;
    private final Amplifier amplifier;
    private final int copiesUsed;

    private Population(String description, List<FhirResourceRecord> records, int patients,
            Map<String, List<FhirResourceRecord>> sourceByPatient, Amplifier amplifier, int copiesUsed) {
        this.description = description;
        this.records = records;
        this.patients = patients;
        this.sourceByPatient = sourceByPatient;
        this.amplifier = amplifier;
        this.copiesUsed = copiesUsed;
    }

    /**
     * Reads {@code inputs} and, when {@code targetPatients} is positive, scales the population to that many
     * patients: the source patients first, then copies of them (new ids, dates moved back) in order of patient
     * key, or only the first {@code targetPatients} source patients when the source has more.
     */
    static Population read(List<Path> inputs, String sourceDescription, int targetPatients, long seed)
            throws IOException {
        return read(inputs, sourceDescription, targetPatients, seed, Set.of());
    }

    /** As above, without the resources of {@code excludedTypes}. */
    static Population read(List<Path> inputs, String sourceDescription, int targetPatients, long seed,
            Set<String> excludedTypes) throws IOException {
        FhirFileReader reader = new FhirFileReader();
        List<FhirResourceRecord> source = new ArrayList<>();
        for (Path input : inputs) {
            try (Stream<FhirResourceRecord> s = reader.stream(input)) {
                s.filter(r -> r.unparseable() || (FhirTopics.BY_TYPE.containsKey(r.resourceType())
                        && !excludedTypes.contains(r.resourceType()))).forEach(source::add);
            }
        }
        source.sort(REPLAY_ORDER);

        Map<String, List<FhirResourceRecord>> byPatient = new TreeMap<>();
        List<FhirResourceRecord> withoutPatient = new ArrayList<>();
        Set<String> knownIds = new HashSet<>();
        for (FhirResourceRecord r : source) {
            String key = patientKey(r);
            if (key == null) {
                withoutPatient.add(r);
            } else {
                byPatient.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
                knownIds.add(key);
            }
            if (r.id() != null) {
                knownIds.add(r.id());
            }
        }
        if (byPatient.isEmpty()) {
            throw new IllegalArgumentException("no records with a patient among " + source.size() + " read from " + inputs);
        }
        Amplifier amplifier = new Amplifier(knownIds, seed);
        List<String> keys = new ArrayList<>(byPatient.keySet());
        int target = targetPatients > 0 ? targetPatients : keys.size();
        List<FhirResourceRecord> records = new ArrayList<>(withoutPatient);
        for (int n = 0; n < target; n++) {
            int copy = n / keys.size();
            for (FhirResourceRecord r : byPatient.get(keys.get(n % keys.size()))) {
                records.add(amplifier.copy(r, copy));
            }
        }
        records.sort(REPLAY_ORDER);
        String description = sourceDescription + " (" + keys.size() + " patients, " + source.size() + " records)";
        if (target != keys.size()) {
            description += target > keys.size() ? ", amplified to " + target + " patients" : ", first " + target + " patients";
        }
        int copiesUsed = (target + keys.size() - 1) / keys.size();
        return new Population(description, List.copyOf(records), target, byPatient, amplifier, copiesUsed);
    }

    /**
     * {@code count} more patients, none of them in this population: copies beyond those it uses, each with its
     * Patient resource and its first {@code eventsPerPatient} other records. For a large index at a small cost.
     */
    Population thinCopies(int count, int eventsPerPatient) {
        List<String> keys = new ArrayList<>(sourceByPatient.keySet());
        List<FhirResourceRecord> out = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            int copy = copiesUsed + n / keys.size();
            int others = 0;
            for (FhirResourceRecord r : sourceByPatient.get(keys.get(n % keys.size()))) {
                boolean patient = "Patient".equals(r.resourceType());
                if (patient || others < eventsPerPatient) {
                    out.add(amplifier.copy(r, copy));
                    others += patient ? 0 : 1;
                }
            }
        }
        out.sort(REPLAY_ORDER);
        return new Population(count + " further patients, copies with their Patient and first " + eventsPerPatient
                + " other records each", List.copyOf(out), count, sourceByPatient, amplifier,
                copiesUsed + (count + keys.size() - 1) / keys.size());
    }

    static String patientKey(FhirResourceRecord r) {
        return r.patientRef() == null ? null : PatientReferences.patientKey(r.patientRef());
    }

    String description() {
        return description;
    }

    /** Every record, in replay order. */
    List<FhirResourceRecord> records() {
        return records;
    }

    int patients() {
        return patients;
    }

    /** Records per resource type (unreadable input as {@code (unparseable)}). */
    Map<String, Long> countsByType() {
        Map<String, Long> counts = new TreeMap<>();
        for (FhirResourceRecord r : records) {
            counts.merge(r.unparseable() ? "(unparseable)" : r.resourceType(), 1L, Long::sum);
        }
        return new LinkedHashMap<>(counts);
    }

    /** The topic a record is replayed to: its type's, and unreadable input to the Observation topic as the demo does. */
    static String topicOf(FhirResourceRecord r) {
        return r.unparseable() ? FhirTopics.forType("Observation") : FhirTopics.BY_TYPE.get(r.resourceType());
    }
}
