#!/usr/bin/env python3
"""Build examples/exchange-2021/knowledge/ from the full public data sets.

Trims each MSRC CVRF 1.1 document to the Vulnerability elements that name a Microsoft
Exchange Server product, plus the ProductTree entries those elements reference; all other
text (document header, notes, tracking, the kept elements) is copied byte for byte.
Trims the CISA KEV catalog to its Exchange Server entries (same schema, `count` adjusted).

Usage: trim_knowledge.py <shared-data-dir> <examples/exchange-2021/knowledge>
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

DOCS = ["2021-Mar", "2021-Apr", "2021-May", "2021-Jul"]


def trim_cvrf(text: str) -> str:
    tree_start = text.index("<prod:ProductTree>")
    tree_end = text.index("</prod:ProductTree>") + len("</prod:ProductTree>")
    names = dict(re.findall(r'<prod:FullProductName ProductID="([^"]+)">([^<]*)<', text))
    vulns = []
    for m in re.finditer(r"  <vuln:Vulnerability .*?</vuln:Vulnerability>\n", text, re.S):
        block = m.group(0)
        status = block[block.find("<vuln:ProductStatuses>"):block.find("</vuln:ProductStatuses>")]
        pids = re.findall(r"<vuln:ProductID>([^<]+)</vuln:ProductID>", status)
        if any("Exchange Server" in names.get(p, "") for p in pids):
            vulns.append(block)
    used = set()
    for block in vulns:
        used.update(re.findall(r"<vuln:ProductID>([^<]+)</vuln:ProductID>", block))
    # Rebuild the product tree line by line, keeping referenced products and non-empty branches.
    out_tree, stack = [], []
    for line in text[tree_start:tree_end].split("\n"):
        s = line.strip()
        if s.startswith("<prod:Branch "):
            stack.append([line, False])
            out_tree.append(None)  # placeholder index for the opening line
            stack[-1].append(len(out_tree) - 1)
        elif s == "</prod:Branch>":
            opening, used_branch, idx = stack.pop()
            if used_branch:
                out_tree[idx] = opening
                out_tree.append(line)
                if stack:
                    stack[-1][1] = True
        elif s.startswith("<prod:FullProductName "):
            pid = re.search(r'ProductID="([^"]+)"', s).group(1)
            if pid in used:
                out_tree.append(line)
                if stack:
                    stack[-1][1] = True
        else:
            out_tree.append(line)
    tree = "\n".join(l for l in out_tree if l is not None)
    first_vuln = text.index("  <vuln:Vulnerability ")
    tail = text[text.rindex("</vuln:Vulnerability>\n") + len("</vuln:Vulnerability>\n"):]
    return text[:tree_start] + tree + text[tree_end:first_vuln] + "".join(vulns) + tail


def main() -> None:
    shared, out = Path(sys.argv[1]), Path(sys.argv[2])
    for doc in DOCS:
        src = shared / "msrc-cvrf/2021/xml-cvrf-document" / f"cvrfDocument-{doc}.xml"
        raw = src.read_bytes()
        bom = raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
        trimmed = trim_cvrf(text)
        ET.fromstring(trimmed.encode("utf-8"))  # must stay well-formed XML
        dest = out / "msrc-cvrf" / f"cvrfDocument-{doc}.xml"
        dest.write_bytes((b"\xef\xbb\xbf" if bom else b"") + trimmed.encode("utf-8"))
    kev = json.loads((shared / "kev-data/known_exploited_vulnerabilities.json").read_text())
    keep = [v for v in kev["vulnerabilities"] if v["product"] in ("Exchange Server", "Exchange")]
    kev["vulnerabilities"] = keep
    kev["count"] = len(keep)
    (out / "kev" / "known_exploited_vulnerabilities.json").write_text(
        json.dumps(kev, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
