#!/usr/bin/env python3
"""Judge the treatment courses of Synthea FHIR exports as Kindred's measurement rules do, and show
how the outcome varies with the patient's traits.

Usage:
    python3 tools/response-survey.py [--rules FILE] [--catalog FILE] [--treatments CODE,...]
                                     [--csv FILE] FHIR_DIR [FHIR_DIR ...]

Each FHIR_DIR is one Synthea population (one transaction Bundle per patient, as SyntheaFeed writes).
For every MedicationRequest whose RxNorm code a measurement rule of outcome-rules.json lists, orders of
one code whose starts lie within the rule's courseGapDays of the course's latest order form one course,
judged from its start S as topology's OutcomeJudge does: baseline = the latest value of the rule's
feature in [S - lookbackDays, S], after = the latest in (S + minDelayDays, S + windowDays]; IMPROVED
when it moved in the rule's direction by the threshold (relative to the baseline when `relative`) or
ended inside the goal having started outside it; judged only with both values. Observations map to
features through the feature catalog (LOINC codes, components of panels, unit conversions), as
Kindred's mappers do. This is a re-implementation for analysis: the engine is the reference.

It prints Markdown:
  - per population: patients (Patient resources) and judged courses per treatment;
  - per treatment over all populations: courses, judged, improved share, and the improved share by
    trait group at the course start: age (< 55 / >= 55), sex, BMI (< 30 / >= 30), eGFR (< 60 / >= 60,
    latest in the two years before S), creatinine, diabetes (an active type 2 diabetes diagnosis),
    the baseline value (below / at or above the treatment's median), and the judged after-value's
    source (the visit type that recorded it);
  - patients who received two treatments of one rule, with both outcomes.
With --csv FILE it also writes one row per judged course (no identifiers beyond a patient ordinal).

Privacy: prints codes, counts and rates only; never names, identifiers or file names.
Python 3 standard library only.
"""
import argparse
import csv
import json
import os
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_RULES = os.path.join(REPO, "topology/src/main/resources/dev/kindred/topology/outcomes/outcome-rules.json")
DEFAULT_CATALOG = os.path.join(REPO, "fhir-mappers/src/main/resources/dev/kindred/fhir/feature-catalog.json")
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
DIABETES_T2 = "44054006"
TRAIT_LOOKBACK = timedelta(days=730)


def parse_time(s):
    if s is None:
        return None
    if len(s) == 10:
        s += "T00:00:00+00:00"
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc)


class Catalog:
    def __init__(self, path):
        doc = json.load(open(path))
        self.by_loinc = {}
        self.units = {}
        for f in doc["features"]:
            for code in f["loinc"]:
                self.by_loinc[code] = f["id"]
            conv = {f["unit"]: (1.0, 0.0)}
            for c in f.get("conversions", []):
                conv[c["unit"]] = (c["factor"], c["offset"])
            self.units[f["id"]] = conv

    def fact(self, coding_list, quantity):
        """(feature, canonical value) of a LOINC-coded quantity, or None."""
        if not quantity or "value" not in quantity:
            return None
        for c in coding_list:
            if c.get("system") == LOINC and c.get("code") in self.by_loinc:
                feature = self.by_loinc[c["code"]]
                unit = quantity.get("code") or quantity.get("unit")
                conv = self.units[feature].get(unit)
                if conv is None:
                    return None
                return feature, quantity["value"] * conv[0] + conv[1]
        return None


class Rule:
    def __init__(self, r, defaults):
        self.id = r["id"]
        self.feature = r["feature"]
        self.decrease = r["direction"] == "decrease"
        self.threshold = r["threshold"]
        self.relative = r.get("relative", False)
        self.goal = r.get("goal")
        self.at_goal = r.get("atGoalImproves", defaults.get("atGoalImproves", False))
        self.lookback = timedelta(days=r.get("lookbackDays", defaults["lookbackDays"]))
        self.min_delay = timedelta(days=r.get("minDelayDays", defaults["minDelayDays"]))
        self.window = timedelta(days=r.get("windowDays", defaults["windowDays"]))
        self.gap = timedelta(days=r.get("courseGapDays", defaults["courseGapDays"]))

    def in_goal(self, v):
        if self.goal is None:
            return False
        lo, hi = self.goal.get("low"), self.goal.get("high")
        return (lo is None or v >= lo) and (hi is None or v <= hi)

    def improved(self, baseline, after):
        change = baseline - after if self.decrease else after - baseline
        needed = self.threshold * abs(baseline) if self.relative else self.threshold
        if change > 0 and change >= needed:
            return True
        return self.in_goal(after) and (self.at_goal or not self.in_goal(baseline))


def load_rules(path):
    doc = json.load(open(path))
    by_treatment = {}
    for r in doc["rules"]:
        rule = Rule(r, doc["defaults"])
        for t in r["treatments"]:
            by_treatment[t] = rule
    return by_treatment


def bundles(directory):
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            with open(os.path.join(directory, name)) as fh:
                yield json.load(fh)


def read_patient(bundle, catalog):
    resources = [e["resource"] for e in bundle.get("entry", []) if "resource" in e]
    patient = next((r for r in resources if r["resourceType"] == "Patient"), None)
    if patient is None:
        return None
    encounter_type = {}
    for r in resources:
        if r["resourceType"] == "Encounter":
            types = r.get("type") or [{}]
            coding = (types[0].get("coding") or [{}])[0]
            encounter_type["urn:uuid:" + r["id"]] = coding.get("display", "?")
    values = defaultdict(list)  # feature -> [(time, value, source)]
    meds = []
    diagnoses = []
    for r in resources:
        t = r["resourceType"]
        if t == "Observation":
            time = parse_time(r.get("effectiveDateTime"))
            source = encounter_type.get(r.get("encounter", {}).get("reference"), "?")
            parts = [(r.get("code", {}).get("coding", []), r.get("valueQuantity"))]
            parts += [(c.get("code", {}).get("coding", []), c.get("valueQuantity")) for c in r.get("component", [])]
            for coding, quantity in parts:
                f = catalog.fact(coding, quantity)
                if f and time:
                    values[f[0]].append((time, f[1], source))
        elif t == "MedicationRequest":
            for c in r.get("medicationCodeableConcept", {}).get("coding", []):
                meds.append((c.get("system") + "|" + c.get("code"), c.get("display"), parse_time(r.get("authoredOn"))))
        elif t == "Condition":
            for c in r.get("code", {}).get("coding", []):
                if c.get("system") == SNOMED:
                    diagnoses.append((c["code"], parse_time(r.get("onsetDateTime")), parse_time(r.get("abatementDateTime"))))
    for v in values.values():
        v.sort(key=lambda p: p[0])
    return {"birth": parse_time(patient.get("birthDate")), "sex": patient.get("gender"), "values": values,
            "meds": meds, "diagnoses": diagnoses}


def latest(points, start, end):
    best = None
    for p in points:
        if start <= p[0] <= end:
            best = p
    return best


def courses_of(meds, rules):
    by_code = defaultdict(list)
    display = {}
    for key, name, time in meds:
        if key in rules and time is not None:
            by_code[key].append(time)
            display[key] = name
    out = []
    for key, times in by_code.items():
        gap = rules[key].gap
        times.sort()
        start = last = times[0]
        for t in times[1:]:
            if t > last + gap:
                out.append((key, start))
                start = t
            last = t
        out.append((key, start))
    return out, display


def judge(patient, key, start, rule):
    points = patient["values"].get(rule.feature, [])
    baseline = latest(points, start - rule.lookback, start)
    after = None
    for p in points:
        if start + rule.min_delay < p[0] <= start + rule.window:
            after = p
    if baseline is None or after is None:
        return None, baseline, after
    return rule.improved(baseline[1], after[1]), baseline, after


def traits(patient, start):
    def trait(feature):
        p = latest(patient["values"].get(feature, []), start - TRAIT_LOOKBACK, start)
        return None if p is None else p[1]

    age = None if patient["birth"] is None else (start - patient["birth"]).days / 365.25
    diabetes = any(code == DIABETES_T2 and onset and onset <= start and (ab is None or ab > start)
                   for code, onset, ab in patient["diagnoses"])
    return {"age": age, "sex": patient["sex"], "bmi": trait("bmi"), "egfr": trait("egfr"),
            "creatinine": trait("creatinine"), "diabetes": diabetes}


def split(rows, name, fn):
    groups = defaultdict(lambda: [0, 0])
    for r in rows:
        g = fn(r)
        if g is None:
            g = "unknown"
        groups[g][0] += 1
        groups[g][1] += 1 if r["improved"] else 0
    return name + ": " + ", ".join(
        "%s %d/%d = %.2f" % (g, groups[g][1], groups[g][0], groups[g][1] / groups[g][0]) for g in sorted(groups, key=str))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", default=DEFAULT_RULES)
    ap.add_argument("--catalog", default=DEFAULT_CATALOG)
    ap.add_argument("--treatments", help="comma-separated RxNorm codes to report (default: all judged)")
    ap.add_argument("--csv", help="write one row per judged course to this file")
    ap.add_argument("--split", action="append", metavar="TRAIT:CUT",
                    help="trait group cut, TRAIT one of age, bmi, egfr (default: age:55 age:60 bmi:28 bmi:30 egfr:60)")
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    splits = [(t.split(":")[0].lower(), float(t.split(":")[1]))
              for t in (args.split or ["age:55", "age:60", "bmi:28", "bmi:30", "egfr:60"])]
    rules = load_rules(args.rules)
    catalog = Catalog(args.catalog)
    wanted = None if not args.treatments else {
        c if "|" in c else "http://www.nlm.nih.gov/research/umls/rxnorm|" + c for c in args.treatments.split(",")}

    rows = []
    per_population = []
    names = {}
    ordinal = 0
    for d in args.dirs:
        patients = 0
        counts = defaultdict(lambda: [0, 0])  # key -> [courses, judged]
        for bundle in bundles(d):
            p = read_patient(bundle, catalog)
            if p is None:
                continue
            patients += 1
            ordinal += 1
            courses, display = courses_of(p["meds"], rules)
            names.update(display)
            for key, start in courses:
                if wanted is not None and key not in wanted:
                    continue
                rule = rules[key]
                improved, baseline, after = judge(p, key, start, rule)
                counts[key][0] += 1
                if improved is None:
                    continue
                counts[key][1] += 1
                row = {"population": os.path.basename(os.path.dirname(os.path.abspath(d))) or d,
                       "patient": ordinal, "treatment": key, "rule": rule.id, "start": start.date().isoformat(),
                       "baseline": round(baseline[1], 2), "after": round(after[1], 2),
                       "after_days": (after[0] - start).days, "after_source": after[2], "improved": improved}
                row.update(traits(p, start))
                rows.append(row)
        per_population.append((d, patients, counts))

    print("## Judged courses per population\n")
    keys = sorted({k for _, _, c in per_population for k in c}, key=lambda k: (rules[k].id, k))
    print("| treatment | rule | " + " | ".join("%s (%d patients)" % (os.path.basename(os.path.dirname(os.path.abspath(d))), n)
                                              for d, n, _ in per_population) + " |")
    print("|---|---|" + "---|" * len(per_population))
    for k in keys:
        print("| %s %s | %s | %s |" % (k.split("|")[1], names.get(k, ""), rules[k].id, " | ".join(
            "%d judged of %d courses" % (c[k][1], c[k][0]) if k in c else "0" for _, _, c in per_population)))

    print("\n## Improved share by trait group at the course start (all populations)\n")
    by_treatment = defaultdict(list)
    for r in rows:
        by_treatment[r["treatment"]].append(r)
    for k in sorted(by_treatment, key=lambda k: (rules[k].id, k)):
        rs = by_treatment[k]
        improved = sum(1 for r in rs if r["improved"])
        baselines = sorted(r["baseline"] for r in rs)
        median = baselines[len(baselines) // 2]
        print("### %s %s (%s)\n" % (k.split("|")[1], names.get(k, ""), rules[k].id))
        print("- judged %d, improved %d = %.2f; patients %d" % (len(rs), improved, improved / len(rs),
                                                                   len({r["patient"] for r in rs})))
        for trait, cut in splits:
            label = "%s %g" % ({"bmi": "BMI", "egfr": "eGFR"}.get(trait, trait), cut)
            print("- " + split(rs, label, lambda r, t=trait, c=cut: None if r[t] is None
                               else ("<%g" % c if r[t] < c else ">=%g" % c)))
        print("- " + split(rs, "sex", lambda r: r["sex"]))
        print("- " + split([r for r in rs if r["egfr"] is not None and r["egfr"] >= 60], "sex where eGFR >= 60",
                           lambda r: r["sex"]))
        print("- " + split(rs, "diabetes", lambda r: "yes" if r["diabetes"] else "no"))
        print("- " + split(rs, "baseline (median %.1f)" % median, lambda r: "below" if r["baseline"] < median else "at/above"))
        print("- " + split(rs, "after-value recorded at", lambda r: r["after_source"]))
        print()

    pairs = defaultdict(lambda: defaultdict(int))
    by_patient_rule = defaultdict(dict)
    for r in rows:
        by_patient_rule[(r["patient"], r["rule"])][r["treatment"]] = r["improved"]
    for (patient, rule), outcomes in by_patient_rule.items():
        if len(outcomes) >= 2:
            ks = sorted(outcomes)
            for i in range(len(ks)):
                for j in range(i + 1, len(ks)):
                    pairs[(ks[i], ks[j])][(outcomes[ks[i]], outcomes[ks[j]])] += 1
    if pairs:
        print("## Patients judged on two treatments of one rule\n")
        for (a, b), outcomes in sorted(pairs.items()):
            print("- %s and %s: %s" % (names.get(a, a), names.get(b, b), ", ".join(
                "%s/%s: %d" % ("improved" if x else "not", "improved" if y else "not", n)
                for (x, y), n in sorted(outcomes.items(), reverse=True))))

    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            fields = ["population", "patient", "treatment", "rule", "start", "age", "sex", "bmi", "egfr",
                      "creatinine", "diabetes", "baseline", "after", "after_days", "after_source", "improved"]
            w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    sys.exit(main())
