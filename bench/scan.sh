#!/usr/bin/env bash
# Scan benchmark: a 5,000-component CycloneDX SBOM (names and versions taken from the advisories
# themselves, so many components are really affected) against the shared advisory sets.
# Needs VIGIL_SHARED_DATA (default ../shared/data beside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${VIGIL_SHARED_DATA:-../shared/data}"
if [ ! -d "$DATA/pypa-advisory-database" ]; then
  echo "shared data not found at $DATA (set VIGIL_SHARED_DATA): nothing measured"
  exit 0
fi
cargo build --release -q -p vigil
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
./target/release/vigil --db "$TMP/k.db" -q db import "$DATA/pypa-advisory-database" \
  "$DATA/rustsec-advisory-db/main" "$DATA/golang-vulndb" "$DATA/ghsa-subset" > /dev/null || true

python3 - "$DATA" "$TMP/sbom.json" <<'PY'
import json, os, sys, glob, itertools
data, out = sys.argv[1], sys.argv[2]
comps, seen = [], set()
def add(ptype, name, version):
    key = (ptype, name, version)
    if key in seen or len(comps) >= 5000:
        return
    seen.add(key)
    purl = f"pkg:{ptype}/{name}@{version}"
    comps.append({"type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl})
for f in sorted(glob.glob(os.path.join(data, "golang-vulndb", "**", "*.json"), recursive=True)):
    try:
        d = json.load(open(f))
    except Exception:
        continue
    for a in d.get("affected", []):
        name = a.get("package", {}).get("name", "")
        for r in a.get("ranges", []):
            for e in r.get("events", []):
                v = e.get("fixed") or e.get("introduced")
                if v and v != "0" and name:
                    add("golang", name, "v" + v.lstrip("v"))
import re
for f in sorted(glob.glob(os.path.join(data, "pypa-advisory-database", "vulns", "*", "*.yaml"))):
    name = os.path.basename(os.path.dirname(f))
    for m in re.finditer(r"^\s+- (\d[\w.]*)$", open(f).read(), re.M):
        add("pypi", name, m.group(1))
n = 0
while len(comps) < 5000:
    add("npm", f"vigil-bench-filler-{n}", "1.0.0"); n += 1
bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}
json.dump(bom, open(out, "w"))
print(f"SBOM with {len(comps)} components")
PY

echo "== vigil scan of the SBOM, 3 runs (JSON output, no snapshot stored)"
for i in 1 2 3; do
  /usr/bin/time -f "wall %e s, peak RSS %M KB" ./target/release/vigil --db "$TMP/k.db" scan "$TMP/sbom.json" \
    --asset bench --no-store --format json > "$TMP/out.json" || true
done
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d.get('findings',[])), 'findings')" "$TMP/out.json"
