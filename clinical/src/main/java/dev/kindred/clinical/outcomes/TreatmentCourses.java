package dev.kindred.clinical.outcomes;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.TreatmentCourse;
import dev.kindred.avro.TreatmentEpisode;
import dev.kindred.avro.TreatmentOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Keeps a patient's treatments as courses: orders of one code (system|code) whose starts lie within the
 * rules' course gap of each other are one course (Synthea, like many EHRs, renews a chronic prescription
 * at every visit; each renewal is not a new treatment). Applying the same order twice changes nothing; a
 * retraction removes the order, and the course when it has no order left.
 */
public final class TreatmentCourses {
    /**
     * Closed courses kept per treatment code, newest last (open ones are all kept until judged): enough for
     * the outcome summary, which shows the latest decided course per diagnosis, and for "already receiving".
     */
    static final int MAX_CLOSED_EPISODES = 3;
    /** Courses kept per treatment code at most, open or closed. */
    static final int MAX_EPISODES = 16;
    /** Orders remembered per course, newest last. */
    static final int MAX_ORDERS = 12;

    private final OutcomeRules rules;

    public TreatmentCourses(OutcomeRules rules) {
        this.rules = rules;
    }

    /**
     * Applies a TREATMENT fact.
     *
     * @return the new course map, or {@code courses} itself when nothing changed
     */
    public Map<String, TreatmentCourse> apply(Map<String, TreatmentCourse> courses, ClinicalFact fact) {
        String key = OutcomeRules.key(fact.getSystem(), fact.getCode());
        TreatmentCourse course = courses.get(key);
        if (fact.getRetracted()) {
            return course == null ? courses : retract(courses, key, course, fact.getSourceResourceId());
        }
        Instant start = fact.getEffectiveTime();
        Duration gap = rules.courseGap(key);
        List<TreatmentEpisode> episodes = course == null ? new ArrayList<>() : new ArrayList<>(course.getEpisodes());
        int match = -1;
        for (int i = 0; i < episodes.size(); i++) {
            TreatmentEpisode e = episodes.get(i);
            if (!start.isBefore(e.getStart().minus(gap)) && !start.isAfter(e.getLastOrder().plus(gap))) {
                match = i;
                break;
            }
        }
        TreatmentEpisode updated;
        if (match < 0) {
            updated = TreatmentEpisode.newBuilder()
                    .setStart(start)
                    .setLastOrder(start)
                    .setEnd(fact.getEndTime())
                    .setOrders(List.of(order(fact)))
                    .setReasons(List.copyOf(new LinkedHashSet<>(fact.getReasons())))
                    .setProcedureOutcome(fact.getOutcome())
                    .setStatus(OutcomeStatus.UNKNOWN)
                    .build();
            episodes.add(updated);
        } else {
            TreatmentEpisode e = episodes.get(match);
            updated = extend(e, fact);
            if (updated == e) {
                return courses;
            }
            episodes.set(match, updated);
        }
        episodes.sort(Comparator.comparing(TreatmentEpisode::getStart));
        trimClosed(episodes);
        Map<String, TreatmentCourse> out = new HashMap<>(courses);
        out.put(key, TreatmentCourse.newBuilder()
                .setSystem(fact.getSystem())
                .setCode(fact.getCode())
                .setDisplay(fact.getDisplay() != null ? fact.getDisplay() : course == null ? null : course.getDisplay())
                .setResourceType(fact.getSourceResourceType())
                .setEpisodes(episodes)
                .build());
        return out;
    }

    /**
     * Drops the oldest closed courses beyond {@link #MAX_CLOSED_EPISODES}, and the oldest of all beyond
     * {@link #MAX_EPISODES} (courses ordered more often than their windows close).
     */
    static void trimClosed(List<TreatmentEpisode> episodes) {
        int closed = 0;
        for (TreatmentEpisode e : episodes) {
            closed += e.getClosed() ? 1 : 0;
        }
        for (var it = episodes.iterator(); it.hasNext() && closed > MAX_CLOSED_EPISODES;) {
            if (it.next().getClosed()) {
                it.remove();
                closed--;
            }
        }
        while (episodes.size() > MAX_EPISODES) {
            episodes.remove(0);
        }
    }

    private static TreatmentOrder order(ClinicalFact fact) {
        return TreatmentOrder.newBuilder().setSourceResourceId(fact.getSourceResourceId())
                .setStart(fact.getEffectiveTime()).build();
    }

    /** The episode with the order added, or the same instance when the order is already in it. */
    private static TreatmentEpisode extend(TreatmentEpisode e, ClinicalFact fact) {
        Instant start = fact.getEffectiveTime();
        for (TreatmentOrder o : e.getOrders()) {
            if (Objects.equals(o.getSourceResourceId(), fact.getSourceResourceId()) && o.getStart().equals(start)
                    && (fact.getOutcome() == null || fact.getOutcome().equals(e.getProcedureOutcome()))
                    && (fact.getEndTime() == null || !isAfter(fact.getEndTime(), e.getEnd()))) {
                return e;
            }
        }
        List<TreatmentOrder> orders = new ArrayList<>(e.getOrders());
        orders.removeIf(o -> o.getSourceResourceId() != null
                && o.getSourceResourceId().equals(fact.getSourceResourceId()));
        orders.add(order(fact));
        orders.sort(Comparator.comparing(TreatmentOrder::getStart));
        while (orders.size() > MAX_ORDERS) {
            orders.remove(0);
        }
        Set<String> reasons = new LinkedHashSet<>(e.getReasons());
        reasons.addAll(fact.getReasons());
        Instant newStart = start.isBefore(e.getStart()) ? start : e.getStart();
        String outcome = fact.getOutcome() != null ? fact.getOutcome() : e.getProcedureOutcome();
        TreatmentEpisode.Builder b = TreatmentEpisode.newBuilder(e)
                .setStart(newStart)
                .setLastOrder(start.isAfter(e.getLastOrder()) ? start : e.getLastOrder())
                .setEnd(isAfter(fact.getEndTime(), e.getEnd()) ? fact.getEndTime() : e.getEnd())
                .setOrders(orders)
                .setReasons(List.copyOf(reasons))
                .setProcedureOutcome(outcome);
        if (!newStart.equals(e.getStart()) || !Objects.equals(outcome, e.getProcedureOutcome())) {
            // What the course is judged from changed: judge it again.
            b.setStatus(OutcomeStatus.UNKNOWN).setRule(null).setClosed(false).setDecidedAt(null);
        }
        return b.build();
    }

    private static boolean isAfter(Instant a, Instant b) {
        return a != null && (b == null || a.isAfter(b));
    }

    private static Map<String, TreatmentCourse> retract(Map<String, TreatmentCourse> courses, String key,
            TreatmentCourse course, String sourceId) {
        if (sourceId == null) {
            return courses;
        }
        boolean found = false;
        List<TreatmentEpisode> episodes = new ArrayList<>();
        for (TreatmentEpisode e : course.getEpisodes()) {
            List<TreatmentOrder> orders = new ArrayList<>();
            TreatmentOrder removed = null;
            for (TreatmentOrder o : e.getOrders()) {
                if (sourceId.equals(o.getSourceResourceId())) {
                    removed = o;
                } else {
                    orders.add(o);
                }
            }
            if (removed == null) {
                episodes.add(e);
                continue;
            }
            found = true;
            if (orders.isEmpty()) {
                continue;
            }
            // Older orders than the ones remembered may exist: move an end only when the retracted order was it.
            TreatmentEpisode.Builder b = TreatmentEpisode.newBuilder(e).setOrders(orders);
            if (removed.getStart().equals(e.getLastOrder())) {
                b.setLastOrder(orders.get(orders.size() - 1).getStart());
            }
            if (removed.getStart().equals(e.getStart()) && orders.get(0).getStart().isAfter(e.getStart())) {
                b.setStart(orders.get(0).getStart())
                        .setStatus(OutcomeStatus.UNKNOWN).setRule(null).setClosed(false).setDecidedAt(null);
            }
            episodes.add(b.build());
        }
        if (!found) {
            return courses;
        }
        Map<String, TreatmentCourse> out = new HashMap<>(courses);
        if (episodes.isEmpty()) {
            out.remove(key);
        } else {
            out.put(key, TreatmentCourse.newBuilder(course).setEpisodes(episodes).build());
        }
        return out;
    }
}
