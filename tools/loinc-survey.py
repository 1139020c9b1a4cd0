#!/usr/bin/env python3
"""Survey the LOINC-coded Observations in a Synthea FHIR R4 export.

Usage:
    python3 tools/loinc-survey.py SYNTHEA_OUTPUT/fhir > survey.json
    python3 tools/loinc-survey.py --catalog feature-catalog.json SYNTHEA_OUTPUT/fhir > survey.json

Reads every *.json file in the directory (Synthea writes one transaction Bundle per
patient; single resources and other Bundle types are read too) and every *.ndjson
file (one resource per line, as FHIR bulk export writes), and prints one JSON
document to stdout:

  numeric   one entry per LOINC code seen with a valueQuantity, on an Observation or
            on an Observation.component (e.g. the blood-pressure panel 85354-9 has no
            value of its own; its components 8480-6 and 8462-4 do):
            patients (distinct subjects), patientShare, observations, units (counts per
            UCUM `code` + display `unit` + `system`), stats over all values
            (min/p5/median/p95/max/mean/sd), the same stats over each patient's latest
            value (by effective time), and the same per unit when a code has several.
  coded     one entry per LOINC code seen with a valueCodeableConcept, with each
            answer (system|code and display) and its patient and observation counts.
  other     LOINC codes carrying other value types (valueString, valueInteger, ...).
  panels    LOINC codes of Observations with components and no value of their own.
  nonLoinc  Observation codes in systems other than LOINC, with counts.

With --catalog FILE (the Kindred feature catalog) it also prints:

  catalogFeatures  per catalog feature: patients, patientShare and the statistics of
            each patient's latest value after conversion to the feature's canonical
            unit (value * factor + offset); values whose unit the feature does not
            know are counted under `unconvertible` and left out of the statistics.
            The catalog's `population` and `patients` fields are copied from here.
  catalogFindings  per catalog finding: patients with a scored answer, patientShare,
            the statistics of each patient's latest score, and the answers seen that
            the finding does not score.
  uncovered  numeric LOINC codes seen in at least 1% of patients that no catalog
            feature lists, and coded ones no finding lists.

Privacy: the output holds codes, units, counts and statistics only. It never prints
file names (Synthea puts patient names in them), patient names, identifiers or
resource ids; subjects are only counted.

Python 3 standard library only.
"""
import json
import math
import os
import sys
from collections import defaultdict

LOINC = "http://loinc.org"


def percentile(sorted_vals, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_vals:
        return None
    if len(sorted_vals) == 1:
        return sorted_vals[0]
    pos = (len(sorted_vals) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    frac = pos - lo
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * frac


def stats(values):
    if not values:
        return None
    s = sorted(values)
    n = len(s)
    mean = sum(s) / n
    var = sum((v - mean) ** 2 for v in s) / (n - 1) if n > 1 else 0.0
    r = lambda x: None if x is None else round(x, 4)
    return {
        "n": n,
        "min": r(s[0]),
        "p5": r(percentile(s, 0.05)),
        "median": r(percentile(s, 0.5)),
        "p95": r(percentile(s, 0.95)),
        "max": r(s[-1]),
        "mean": r(mean),
        "sd": r(math.sqrt(var)),
    }


def effective_time(obs):
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        if obs.get(key):
            return obs[key]
    period = obs.get("effectivePeriod") or {}
    return period.get("start") or period.get("end") or ""


def loinc_codings(concept):
    return [c for c in (concept or {}).get("coding", []) if c.get("system") == LOINC and c.get("code")]


def iter_resources(doc):
    if not isinstance(doc, dict):
        return
    if doc.get("resourceType") == "Bundle":
        for entry in doc.get("entry", []) or []:
            res = entry.get("resource")
            if res:
                yield from iter_resources(res)
    else:
        yield doc


class Survey:
    def __init__(self):
        self.patients = set()
        self.subjects = set()   # Observation subjects, the denominator when no Patient resources are read
        # code -> list of (subject, time, answerKey) for coded values
        self.coded_rows = defaultdict(list)
        # code -> list of (subject, time, value, unitKey)
        self.numeric = defaultdict(list)
        self.display = {}
        self.units = defaultdict(lambda: defaultdict(int))
        self.coded = defaultdict(lambda: defaultdict(set))   # code -> answer -> subjects
        self.coded_obs = defaultdict(lambda: defaultdict(int))
        self.answer_display = {}
        self.coded_patients = defaultdict(set)
        self.other = defaultdict(lambda: defaultdict(set))   # code -> value type -> subjects
        self.panels = defaultdict(set)
        self.non_loinc = defaultdict(int)
        self.files = 0
        self.observations = 0

    def add_file(self, path):
        with open(path, encoding="utf-8") as fh:
            if path.endswith(".ndjson"):
                docs = [json.loads(line) for line in fh if line.strip()]
            else:
                docs = [json.load(fh)]
        self.files += 1
        for res in (r for doc in docs for r in iter_resources(doc)):
            rtype = res.get("resourceType")
            if rtype == "Patient":
                # counted only (the share denominator); never printed
                self.patients.add(res.get("id") or path)
            elif rtype == "Observation":
                self.add_observation(res)

    def add_observation(self, obs):
        self.observations += 1
        if obs.get("status") in ("entered-in-error", "cancelled"):
            return
        subject = (obs.get("subject") or {}).get("reference", "?")
        self.subjects.add(subject)
        when = effective_time(obs)
        codings = loinc_codings(obs.get("code"))
        if not codings:
            for c in (obs.get("code") or {}).get("coding", []):
                self.non_loinc[(c.get("system"), c.get("code"), c.get("display"))] += 1
            return
        code = codings[0]["code"]
        self.display.setdefault(code, codings[0].get("display"))
        has_value = self.add_value(code, obs, subject, when)
        comps = obs.get("component") or []
        for comp in comps:
            cc = loinc_codings(comp.get("code"))
            if not cc:
                for c in (comp.get("code") or {}).get("coding", []):
                    self.non_loinc[(c.get("system"), c.get("code"), c.get("display"))] += 1
                continue
            ccode = cc[0]["code"]
            self.display.setdefault(ccode, cc[0].get("display"))
            self.add_value(ccode, comp, subject, when, parent=code)
        if comps and not has_value:
            self.panels[code].add(subject)

    def add_value(self, code, element, subject, when, parent=None):
        if "valueQuantity" in element:
            q = element["valueQuantity"]
            if q.get("value") is None:
                return False
            ukey = (q.get("system"), q.get("code"), q.get("unit"))
            self.units[code][ukey] += 1
            self.numeric[code].append((subject, when, float(q["value"]), ukey))
            return True
        if "valueCodeableConcept" in element:
            cs = (element["valueCodeableConcept"] or {}).get("coding", [])
            if not cs:
                key = "(text only)"   # free text is never printed: it may hold anything
            else:
                key = "%s|%s" % (cs[0].get("system"), cs[0].get("code"))
                self.answer_display.setdefault((code, key), cs[0].get("display"))
            self.coded[code][key].add(subject)
            self.coded_rows[code].append((subject, when, key))
            self.coded_obs[code][key] += 1
            self.coded_patients[code].add(subject)
            return True
        for k in element:
            if k.startswith("value"):
                self.other[code][k].add(subject)
                return True
        return False

    def population_size(self):
        return len(self.patients) or len(self.subjects) or 1

    def report(self):
        n_pat = self.population_size()
        numeric = []
        for code, rows in self.numeric.items():
            subjects = {r[0] for r in rows}
            latest = {}
            for subj, when, val, ukey in rows:
                if subj not in latest or when >= latest[subj][0]:
                    latest[subj] = (when, val, ukey)
            entry = {
                "loinc": code,
                "display": self.display.get(code),
                "patients": len(subjects),
                "patientShare": round(len(subjects) / n_pat, 4),
                "observations": len(rows),
                "units": [
                    {"system": k[0], "code": k[1], "unit": k[2], "count": c}
                    for k, c in sorted(self.units[code].items(), key=lambda kv: -kv[1])
                ],
                "allValues": stats([r[2] for r in rows]),
                "latestPerPatient": stats([v[1] for v in latest.values()]),
            }
            if len(self.units[code]) > 1:
                entry["byUnit"] = {
                    "%s|%s" % (k[1], k[2]): {
                        "allValues": stats([r[2] for r in rows if r[3] == k]),
                        "latestPerPatient": stats([v[1] for v in latest.values() if v[2] == k]),
                    }
                    for k in self.units[code]
                }
            numeric.append(entry)
        numeric.sort(key=lambda e: (-e["patients"], e["loinc"]))

        coded = []
        for code, answers in self.coded.items():
            coded.append({
                "loinc": code,
                "display": self.display.get(code),
                "patients": len(self.coded_patients[code]),
                "patientShare": round(len(self.coded_patients[code]) / n_pat, 4),
                "answers": [
                    {"answer": a, "display": self.answer_display.get((code, a)),
                     "patients": len(s), "observations": self.coded_obs[code][a]}
                    for a, s in sorted(answers.items(), key=lambda kv: -len(kv[1]))
                ],
            })
        coded.sort(key=lambda e: (-e["patients"], e["loinc"]))

        other = [
            {"loinc": code, "display": self.display.get(code),
             "valueTypes": {t: len(s) for t, s in types.items()}}
            for code, types in sorted(self.other.items())
        ]
        panels = [
            {"loinc": code, "display": self.display.get(code), "patients": len(s)}
            for code, s in sorted(self.panels.items(), key=lambda kv: -len(kv[1]))
        ]
        non_loinc = [
            {"system": k[0], "code": k[1], "display": k[2], "count": c}
            for k, c in sorted(self.non_loinc.items(), key=lambda kv: -kv[1])
        ]
        return {
            "source": {"files": self.files, "patients": len(self.patients),
                       "subjects": len(self.subjects), "observations": self.observations},
            "numeric": numeric,
            "coded": coded,
            "other": other,
            "panels": panels,
            "nonLoinc": non_loinc,
        }


def latest_by_patient(rows):
    """rows: (subject, time, payload...) -> {subject: row} keeping the latest time."""
    latest = {}
    for row in rows:
        if row[0] not in latest or row[1] >= latest[row[0]][1]:
            latest[row[0]] = row
    return latest


def catalog_report(survey, catalog):
    n_pat = survey.population_size()
    features = []
    covered_numeric = set()
    for f in catalog.get("features", []):
        conv = {f["unit"]: (1.0, 0.0)}
        for c in f.get("conversions", []):
            conv[c["unit"]] = (float(c["factor"]), float(c.get("offset", 0.0)))
        rows, unconvertible = [], defaultdict(int)
        for code in f["loinc"]:
            covered_numeric.add(code)
            for subj, when, val, ukey in survey.numeric.get(code, []):
                unit = ukey[1] if ukey[1] is not None else ukey[2]
                if unit in conv:
                    factor, offset = conv[unit]
                    rows.append((subj, when, val * factor + offset))
                else:
                    unconvertible[str(unit)] += 1
        latest = latest_by_patient(rows)
        features.append({
            "id": f["id"],
            "loinc": f["loinc"],
            "unit": f["unit"],
            "patients": len(latest),
            "patientShare": round(len(latest) / n_pat, 4),
            "observations": len(rows),
            "latestPerPatient": stats([r[2] for r in latest.values()]),
            "allValues": stats([r[2] for r in rows]),
            "unconvertible": dict(unconvertible),
        })
    findings = []
    covered_coded = set()
    for f in catalog.get("findings", []):
        rows, unscored = [], defaultdict(int)
        for code in f["loinc"]:
            covered_coded.add(code)
            for subj, when, key in survey.coded_rows.get(code, []):
                if key in f["values"]:
                    rows.append((subj, when, float(f["values"][key])))
                else:
                    unscored[key] += 1
        latest = latest_by_patient(rows)
        findings.append({
            "id": f["id"],
            "loinc": f["loinc"],
            "patients": len(latest),
            "patientShare": round(len(latest) / n_pat, 4),
            "observations": len(rows),
            "latestPerPatient": stats([r[2] for r in latest.values()]),
            "unscoredAnswers": dict(unscored),
        })
    uncovered = {
        "numeric": sorted(c for c, rows in survey.numeric.items()
                          if c not in covered_numeric
                          and len({r[0] for r in rows}) / n_pat >= 0.01),
        "coded": sorted(c for c in survey.coded_patients
                        if c not in covered_coded
                        and len(survey.coded_patients[c]) / n_pat >= 0.01),
    }
    return {"catalogVersion": catalog.get("version"), "catalogFeatures": features,
            "catalogFindings": findings, "uncovered": uncovered}


def main(argv):
    args = argv[1:]
    catalog = None
    if len(args) == 3 and args[0] == "--catalog":
        with open(args[1], encoding="utf-8") as fh:
            catalog = json.load(fh)
        args = args[2:]
    if len(args) != 1 or not os.path.isdir(args[0]):
        sys.stderr.write("usage: loinc-survey.py [--catalog feature-catalog.json] SYNTHEA_OUTPUT/fhir\n")
        return 2
    survey = Survey()
    names = sorted(n for n in os.listdir(args[0]) if n.endswith((".json", ".ndjson")))
    for i, name in enumerate(names, 1):
        survey.add_file(os.path.join(args[0], name))
        if i % 50 == 0:
            sys.stderr.write("read %d/%d files\n" % (i, len(names)))
    report = survey.report()
    if catalog is not None:
        report.update(catalog_report(survey, catalog))
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
