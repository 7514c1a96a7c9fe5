#!/usr/bin/env python3
"""vigil's recall of Hayabusa's detections, rule by rule (run by bench/hayabusa.sh).

Usage: hayabusa_recall.py HAYABUSA_SIGMA_RULES_DIR HAYABUSA.jsonl VIGIL.jsonl VIGIL_RULES.jsonl

A Hayabusa detection is found by vigil when vigil reports the same SigmaHQ rule on the same
record: Hayabusa's converted rules carry their own ids and name the SigmaHQ rule they were made
from in their last `related: - id: … type: derived` entry; records are (EVTX file name, EventRecordID).
Prints Markdown: totals, recall over all of Hayabusa's detections and over those of rules vigil
loaded, and every rule with misses.
"""

import collections
import json
import os
import re
import sys


def converted_ids(rules_dir):
    """Converted rule id -> (the SigmaHQ id it derives from (itself when it names none), the
    converted rule's path below `rules_dir`)."""
    out = {}
    for root, _, files in os.walk(rules_dir):
        for name in files:
            if not name.endswith((".yml", ".yaml")):
                continue
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                text = f.read()
            m = re.search(r"^id:\s*['\"]?([0-9A-Za-z-]+)", text, re.M)
            if not m:
                continue
            original = m.group(1)
            related = re.search(r"^related:\s*\n((?:[ \t]+.*\n?)+)", text, re.M)
            if related:
                # The converter appends its own entry after the rule's own `related` entries
                # (a SigmaHQ rule may itself derive from another): the last derived one.
                items = re.split(r"\n\s*-\s+", "\n" + related.group(1))
                for item in items:
                    rid = re.search(r"id:\s*['\"]?([0-9A-Za-z-]+)", item)
                    kind = re.search(r"type:\s*(\w+)", item)
                    if rid and kind and kind.group(1) == "derived":
                        original = rid.group(1)
            out[m.group(1)] = (original, os.path.relpath(os.path.join(root, name), rules_dir))
    return out


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def main():
    rules_dir, hayabusa, vigil, vigil_rules = sys.argv[1:5]
    conv = converted_ids(rules_dir)
    titles = {}
    folders = {}
    h = set()
    for d in jsonl(hayabusa):
        rid, path = conv.get(d.get("RuleID"), (d.get("RuleID"), ""))
        folders.setdefault(rid, path.split(os.sep)[1] if os.sep in path else "")
        titles.setdefault(rid, d.get("RuleTitle", ""))
        h.add((rid, os.path.basename(d.get("EvtxFile", "")), int(d.get("RecordID") or 0)))
    v = set()
    for d in jsonl(vigil):
        src = (d.get("sources") or [{}])[0]
        rec = src.get("record", {}).get("evtx_record")
        if rec is None:
            continue
        titles.setdefault(d["rule_id"], d.get("rule_title", ""))
        v.add((d["rule_id"], os.path.basename(src.get("file", "")), int(rec)))
    loaded = {r.get("id") for r in jsonl(vigil_rules)}

    matched = h & v
    shared = {x for x in h if x[0] in loaded}
    by_rule = collections.defaultdict(lambda: [0, 0])
    for x in h:
        by_rule[x[0]][0] += 1
        by_rule[x[0]][1] += x in matched
    vigil_by_rule = collections.Counter(x[0] for x in v)
    hayabusa_rules = {x[0] for x in h}

    pct = lambda a, b: f"{100 * a / b:.1f}%" if b else "-"
    print(f"Hayabusa: {len(h)} detections (rule, record) of {len(hayabusa_rules)} SigmaHQ rules; "
          f"vigil: {len(v)} of {len(vigil_by_rule)} rules.")
    print(f"vigil finds {len(matched)} of Hayabusa's {len(h)} detections ({pct(len(matched), len(h))}); "
          f"of the {len(shared)} made by rules vigil loaded, {len(matched & shared)} "
          f"({pct(len(matched & shared), len(shared))}).")
    unloaded = collections.Counter(folders.get(x[0], "") for x in h - shared)
    print("Hayabusa's detections by rules vigil did not load, by the converted rule's folder: "
          + ", ".join(f"{k or '?'} {n}" for k, n in unloaded.most_common()) + ".")
    only_v = v - h
    only_v_shared = {x for x in only_v if x[0] in hayabusa_rules}
    print(f"vigil reports {len(only_v)} detections Hayabusa does not ({len(only_v_shared)} of them "
          f"by rules that also fired in Hayabusa).")
    print()
    print("Rules with misses (Hayabusa's detections of the rule, how many vigil also reports, "
          "vigil's detections of the rule):")
    print()
    print("| SigmaHQ rule | id | Hayabusa | found by vigil | vigil total | in vigil's rules "
          "(folder in Hayabusa's set) |")
    print("|---|---|---|---|---|---|")
    misses = [(rid, n, m) for rid, (n, m) in by_rule.items() if m < n]
    misses.sort(key=lambda x: (-(x[1] - x[2]), titles.get(x[0], "")))
    for rid, n, m in misses:
        print(f"| {titles.get(rid, '')} | {rid} | {n} | {m} | {vigil_by_rule.get(rid, 0)} | "
              f"{'yes' if rid in loaded else 'no'} ({folders.get(rid, '')}) |")


if __name__ == "__main__":
    main()
