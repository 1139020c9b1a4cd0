package dev.kindred.clinical.outcomes;

import static dev.kindred.clinical.testing.Facts.day;
import static dev.kindred.clinical.testing.Facts.medication;
import static dev.kindred.clinical.testing.Facts.retracted;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.TreatmentCourse;
import dev.kindred.avro.TreatmentEpisode;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TreatmentCoursesTest {
    private static final String AMOX = "http://www.nlm.nih.gov/research/umls/rxnorm|308192";
    private static final String METFORMIN = "http://www.nlm.nih.gov/research/umls/rxnorm|860975";
    private final TreatmentCourses courses = new TreatmentCourses(OutcomeRulesTest.testRules());

    @Test
    void theSameOrderTwiceChangesNothing() {
        Map<String, TreatmentCourse> one = courses.apply(new HashMap<>(), medication("p", "308192", "Amoxicillin",
                "2021-03-01", "m1"));
        assertThat(courses.apply(one, medication("p", "308192", "Amoxicillin", "2021-03-01", "m1"))).isSameAs(one);
    }

    @Test
    void ordersWithinTheCourseGapAreOneCourseAndLaterOnesANewOne() {
        Map<String, TreatmentCourse> c = new HashMap<>();
        c = courses.apply(c, medication("p", "308192", "Amoxicillin", "2021-03-01", "m1"));
        c = courses.apply(c, medication("p", "308192", "Amoxicillin", "2021-03-08", "m2"));   // gap 10 days
        c = courses.apply(c, medication("p", "308192", "Amoxicillin", "2021-06-01", "m3"));
        assertThat(c.get(AMOX).getEpisodes()).hasSize(2);
        TreatmentEpisode first = c.get(AMOX).getEpisodes().get(0);
        assertThat(first.getStart()).isEqualTo(day("2021-03-01"));
        assertThat(first.getLastOrder()).isEqualTo(day("2021-03-08"));
        assertThat(first.getOrders()).hasSize(2);

        Map<String, TreatmentCourse> renewals = new HashMap<>();
        renewals = courses.apply(renewals, medication("p", "860975", "metformin", "2021-03-01", "r1"));
        renewals = courses.apply(renewals, medication("p", "860975", "metformin", "2021-03-08", "r2"));
        assertThat(renewals.get(METFORMIN).getEpisodes()).as("every renewal is judged: gap 1 day").hasSize(2);
    }

    @Test
    void aLateEarlierOrderMovesTheStartAndReopensTheJudgement() {
        Map<String, TreatmentCourse> c = courses.apply(new HashMap<>(),
                medication("p", "308192", "Amoxicillin", "2021-03-08", "m2"));
        TreatmentEpisode closed = TreatmentEpisode.newBuilder(c.get(AMOX).getEpisodes().get(0)).setClosed(true)
                .setStatus(dev.kindred.avro.OutcomeStatus.IMPROVED).build();
        c.put(AMOX, TreatmentCourse.newBuilder(c.get(AMOX)).setEpisodes(java.util.List.of(closed)).build());
        c = courses.apply(c, medication("p", "308192", "Amoxicillin", "2021-03-01", "m1"));
        TreatmentEpisode e = c.get(AMOX).getEpisodes().get(0);
        assertThat(e.getStart()).isEqualTo(day("2021-03-01"));
        assertThat(e.getClosed()).isFalse();
        assertThat(e.getStatus()).isEqualTo(dev.kindred.avro.OutcomeStatus.UNKNOWN);
    }

    @Test
    void aRetractionRemovesTheOrderAndTheCourseWhenNothingIsLeft() {
        Map<String, TreatmentCourse> c = new HashMap<>();
        c = courses.apply(c, medication("p", "308192", "Amoxicillin", "2021-03-01", "m1"));
        c = courses.apply(c, medication("p", "308192", "Amoxicillin", "2021-03-05", "m2"));
        c = courses.apply(c, retracted(medication("p", "308192", "Amoxicillin", "2021-03-01", "m1")));
        assertThat(c.get(AMOX).getEpisodes().get(0).getStart()).isEqualTo(day("2021-03-05"));
        assertThat(courses.apply(c, retracted(medication("p", "308192", "Amoxicillin", "2021-03-01", "other"))))
                .as("an unknown order").isSameAs(c);
        c = courses.apply(c, retracted(medication("p", "308192", "Amoxicillin", "2021-03-05", "m2")));
        assertThat(c).doesNotContainKey(AMOX);
    }
}
