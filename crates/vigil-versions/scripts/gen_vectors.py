#!/usr/bin/env python3
"""Regenerates every test vector file in ../tests/vectors from the reference implementations.

Each vector line is `a<TAB>op<TAB>b` with op one of `<`, `=`, `>`, as the reference tool orders
the two versions; `*.invalid` files list strings the reference tool rejects (one per line).

Reference tools (install them first; see README.md next to this script):
  debian    dpkg --compare-versions                        (Debian package `dpkg`)
  rpm       rpm.vercmp in rpm's Lua (rpmverCmp)            (Debian package `rpm`)
  pep440    packaging.version.Version                      (pip install packaging)
  semver    npm `semver` package, strict mode              (npm install semver; SEMVER_MODULE=path)
  go        golang.org/x/mod/semver                        (Debian golang-go + golang-golang-x-mod-dev)
  maven     org.apache.maven.artifact.versioning.ComparableVersion (maven-artifact jar; MAVEN_ARTIFACT_JAR)
  rubygems  Gem::Version                                   (Debian package `ruby`)
  apk       apk-tools' upstream test data (tests/version.data), plus generated pairs when
            APK_VERCMP names a program that reads `a<TAB>b` lines and prints `a<TAB>op<TAB>b`
            using apk-tools' src/version.c (apk-tools itself is not packaged for Debian)
  nuget     no .NET here: upstream fixtures only (kept in nuget.tsv, not regenerated)
  msbuild   dotted-decimal order of the Exchange build tables (Python int tuples)

Input material: real versions from the shared data sets (VIGIL_SHARED_DATA, default
/work/shared/data) plus deterministic adversarial strings. Run: python3 gen_vectors.py [scheme...]
"""

import glob
import json
import os
import random
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "vectors")
SHARED = os.environ.get("VIGIL_SHARED_DATA", "/work/shared/data")
PAIRS_PER_SCHEME = int(os.environ.get("PAIRS_PER_SCHEME", "3000"))


def rng(name):
    return random.Random("vigil-versions-" + name)


def clean(vs):
    """Versions that fit the vector format: no tabs/newlines, no leading '#', bounded length."""
    out = []
    seen = set()
    for v in vs:
        if not isinstance(v, str) or not v or "\t" in v or "\n" in v or "\r" in v:
            continue
        if v.startswith("#") or len(v) > 120 or v in seen:
            continue
        seen.add(v)
        out.append(v)
    return out


# ---------------------------------------------------------------- real versions from shared data

def osv_versions(paths, loader):
    found = []
    for p in paths:
        try:
            doc = loader(p)
        except Exception:
            continue
        for aff in doc.get("affected", []) or []:
            found += [str(v) for v in aff.get("versions", []) or []]
            for r in aff.get("ranges", []) or []:
                if r.get("type") == "GIT":
                    continue
                for e in r.get("events", []) or []:
                    for k in ("introduced", "fixed", "last_affected", "limit"):
                        if k in e and str(e[k]) not in ("0", "*"):
                            found.append(str(e[k]))
    return found


def load_json(p):
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def load_yaml(p):
    import yaml

    with open(p, encoding="utf-8") as f:
        return yaml.safe_load(f)


def real(kind):
    if not os.path.isdir(SHARED):
        return []
    if kind == "pypi":
        return osv_versions(sorted(glob.glob(f"{SHARED}/pypa-advisory-database/vulns/*/*.yaml")), load_yaml)
    if kind == "go":
        return osv_versions(sorted(glob.glob(f"{SHARED}/golang-vulndb/data/osv/*.json")), load_json)
    if kind == "rpm":
        return osv_versions(sorted(glob.glob(f"{SHARED}/almalinux-osv/advisories/*/*.json")), load_json)
    if kind == "crates":
        return osv_versions(sorted(glob.glob(f"{SHARED}/rustsec-advisory-db/osv-branch/crates/*.json")), load_json)
    if kind == "ghsa":
        return osv_versions(sorted(glob.glob(f"{SHARED}/ghsa-subset/advisories/**/*.json", recursive=True)), load_json)
    if kind == "exchange":
        out = []
        try:
            doc = load_json(f"{SHARED}/exchange-builds/css-exchange_build_su_map.json")
            text = json.dumps(doc)
            out += re.findall(r'"(\d+\.\d+\.\d+\.\d+)"', text)
        except Exception:
            pass
        try:
            with open(f"{SHARED}/exchange-builds/officedocs_exchange_builds_2021-07.csv", encoding="utf-8") as f:
                out += re.findall(r"\b(\d+\.\d+\.\d+\.\d+)\b", f.read())
        except Exception:
            pass
        return out
    return []


# ---------------------------------------------------------------- adversarial generators

BIG = ["18446744073709551615", "18446744073709551616", "99999999999999999999999", "000000000000000000001"]


def num(r):
    x = r.random()
    if x < 0.55:
        return str(r.randint(0, 12))
    if x < 0.75:
        return str(r.randint(0, 3000))
    if x < 0.85:
        return "0" * r.randint(1, 3) + str(r.randint(0, 20))
    if x < 0.93:
        return str(r.randint(19000101, 20991231)) + ("" if r.random() < 0.5 else str(r.randint(100000, 235959)))
    return r.choice(BIG)


def mutate(v, r, alphabet):
    """A nearby string: change, insert or delete one character, or bump a digit run."""
    if not v:
        return v
    x = r.random()
    i = r.randrange(len(v))
    if x < 0.3:
        runs = list(re.finditer(r"\d+", v))
        if runs:
            m = r.choice(runs)
            n = int(m.group()) + r.choice([-1, 1, 10])
            return v[: m.start()] + str(max(n, 0)) + v[m.end():]
    if x < 0.55:
        return v[:i] + r.choice(alphabet) + v[i + 1:]
    if x < 0.8:
        return v[:i] + r.choice(alphabet) + v[i:]
    return v[:i] + v[i + 1:]


def gen_debian(r, n):
    pieces = ["", "~", "~~", "+", ".", "-", "a", "b", "z", "A", "Z", "+dfsg", "~rc", "~beta", "+deb12u", "ubuntu", "build", "+b", ".0", "~~a"]
    out = []
    for _ in range(n):
        up = num(r)
        for _ in range(r.randint(0, 4)):
            up += r.choice(pieces) + (num(r) if r.random() < 0.6 else "")
        if not up[0].isdigit() and r.random() < 0.8:
            up = "1" + up
        v = up
        if r.random() < 0.5:
            rev = num(r) if r.random() < 0.7 else r.choice(["0ubuntu", "1+b", "~bpo", "a"]) + num(r)
            for _ in range(r.randint(0, 2)):
                rev += r.choice(["+", "~", ".", "ubuntu", "deb", "build"]) + num(r)
            v += "-" + rev
        if r.random() < 0.25:
            v = r.choice(["0", "1", "2", "00", "10", "2147483647"]) + ":" + v
        out.append(v)
    out += ["1.0", "1.0-0", "1.0-00", "0:1.0", "1.0~", "1.0~~", "1.0~~a", "1.0a", "1.0+", "1.0.", "1.0-1", "1.0-1~",
            "1:1:1", "1.0-1-1", "2.30-0ubuntu1", "2.36-9+deb12u4", "1:9.18.19-1~deb12u1", "3.0.11-1~deb12u2",
            "7.88.1-10+deb12u5", "1.2.3+dfsg-1", "1.2.3+dfsg1-1", "1.2.3~rc1-1", "1.2.3-1ubuntu0.1", "1.2.3-1ubuntu0.10",
            "5.10.0-28", "6.1.0-18", "2:8.2.2434-3+deb11u1", "1:2.0", "0.0", "0", "00", "1.00", "1.01",
            "1.0-A", "1.0-a", "1.0-~", "1.0-+", "1.0-.", "1.0+~", "1.0~+"]
    bad = ["", "1.0-", ":1", "a:1", "1:", "1:-1", "1 0", "2147483648:1", "99999999999:1", "-1:1", "1.0 -1", " "]
    return out, bad


def gen_rpm(r, n):
    pieces = ["", "~", "^", ".", "_", "-", "+", "a", "b", "rc", "beta", "el9", "el9_2", "fc38", "git", "post", "Z", "%", "~~", "^^"]
    out = []
    for _ in range(n):
        v = num(r) if r.random() < 0.9 else r.choice(["a", "beta", "~1", "^1"])
        for _ in range(r.randint(0, 4)):
            v += r.choice(pieces) + (num(r) if r.random() < 0.6 else "")
        if r.random() < 0.4:
            v += "-" + num(r) + r.choice(["", ".el9", ".el9_2", ".el8_6.1", "~rc1", "^git1", ".fc38"])
        if r.random() < 0.3:
            v = r.choice(["", "0", "1", "2", "01", "10"]) + ":" + v
        out.append(v)
    out += ["1.0", "1.0-1", "1.0~rc1", "1.0^git1", "1.0^git1~1", "1.0.1", "1.0a", "1.0.a", "1_0", "1.0.",
            "a", "b", "1a", "1-a", ":1.0", "0:1.0", "1:1.0", "1.0-", "-1", "1-", "--", "~", "^", "~~", "^~", "1.0~", "1.0^",
            "2.9.0-1.el9", "3:4.4.20-1.el9_0", "1:1.1.1k-7.el8_6", "0:2.34-60.el9", "5.14.0-284.11.1.el9_2"]
    bad = [""]
    return out, bad


def gen_pep440(r, n):
    out = []
    seps = ["", ".", "-", "_"]
    for _ in range(n):
        v = ""
        if r.random() < 0.1:
            v += r.choice(["v", "V"])
        if r.random() < 0.1:
            v += num(r) + "!"
        v += ".".join(num(r) for _ in range(r.randint(1, 4)))
        if r.random() < 0.4:
            v += r.choice(seps) + r.choice(["a", "alpha", "b", "beta", "c", "rc", "pre", "preview", "A", "RC", "Beta"]) + r.choice(seps[:2] + [""]) + (num(r) if r.random() < 0.7 else "")
        if r.random() < 0.3:
            if r.random() < 0.3:
                v += "-" + num(r)
            else:
                v += r.choice(seps) + r.choice(["post", "rev", "r", "POST"]) + r.choice(seps) + (num(r) if r.random() < 0.7 else "")
        if r.random() < 0.3:
            v += r.choice(seps) + r.choice(["dev", "DEV"]) + r.choice(seps) + (num(r) if r.random() < 0.7 else "")
        if r.random() < 0.2:
            v += "+" + r.choice(["abc", "ubuntu", "1", "01", "cpu", "Build"]) + "".join(r.choice([".", "-", "_"]) + r.choice(["1", "2", "a", "B", "007", "xyz"]) for _ in range(r.randint(0, 3)))
        out.append(v)
    out += ["1.0", "1.0.0", "1", "1.0a1", "1.0-alpha-1", "1.0.post1", "1.0-1", "1.0.dev", "1.0.dev0", "v1.0",
            "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0+ABC", "1.0a", "1.0a.dev1", "1.0.post", "1.0.r", "1.0rev",
            "1!1.0", "0!1.0", "1.0c1", "1.0rc1", "1.0pre1", "1.0preview1", "1.0a-1", "1.0a_dev", "1.0-post-1",
            " 1.0", "1.0 ", "1.0a-+x", "1.0.post-", "1.0+a_b-c.d", "1.0.0.0.0.0.1", "00.0", "1.0-r", "1.0_1"]
    bad = ["", "1.0-SNAPSHOT", "2004d", "1.0+", "1.0+a..b", "french toast", "1.0.", "!1", "1!", "1.0-", "1.0+-a",
           "1.0a1b1", "1.0.post1.post2", "1.0..1", "a1.0", "1.0 a", "1.0dev1post1", "1.0+a+b", "1.0-rc-", "x"]
    return out, bad


def gen_semver(r, n, allow_v=True):
    out = []
    ids = ["alpha", "beta", "rc", "0", "1", "2", "10", "11", "a", "A", "Z", "-", "x-y", "--", "0a", "a0", "01a", "DEV", "SNAPSHOT"]
    for _ in range(n):
        core = ".".join(str(r.choice([0, 1, 2, 3, 10, 11, r.randint(0, 99999)])) for _ in range(3))
        v = core
        if r.random() < 0.55:
            v += "-" + ".".join(r.choice(ids) if r.random() < 0.8 else str(r.randint(0, 9999)) for _ in range(r.randint(1, 4)))
        if r.random() < 0.2:
            v += "+" + ".".join(r.choice(["build", "001", "sha", "exp", "incompatible", "20200101"]) for _ in range(r.randint(1, 2)))
        if allow_v and r.random() < 0.05:
            v = "v" + v
        out.append(v)
    out += ["1.0.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
            "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0+build", "1.0.0-0", "1.0.0-00a", "1.0.0--", "0.0.0", "v1.2.3",
            "1.0.0-alpha.-", "1.0.0-a.b.c.d.e", "1.0.0-9007199254740991"]
    bad = ["", "1", "1.2", "01.2.3", "1.02.3", "1.2.03", "1.2.3-", "1.2.3-01", "1.2.3+", "1.2.3-a..b", "1.2.3.4",
           "1.2.x", "1.2.3-a+b+c", "1.2.3-é", "a.b.c", "1.2.3-+", "-1.2.3", "1.2.-3", "1.2.3 4", "1..3"]
    return out, bad


def gen_go(r, n):
    out, _ = gen_semver(r, n // 2, allow_v=False)
    out = ["v" + v if r.random() < 0.5 else v for v in out]
    for _ in range(n // 2):
        base = f"{r.randint(0, 3)}.{r.randint(0, 20)}.{r.randint(0, 9)}"
        stamp = f"{r.randint(2018, 2024)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(0, 23):02d}{r.randint(0, 59):02d}{r.randint(0, 59):02d}"
        rev = "".join(r.choice("0123456789abcdef") for _ in range(12))
        form = r.random()
        if form < 0.3:
            v = f"v0.0.0-{stamp}-{rev}"
        elif form < 0.6:
            v = f"v{base}-0.{stamp}-{rev}"
        elif form < 0.8:
            v = f"v{base}-rc.1.0.{stamp}-{rev}"
        else:
            v = f"v{r.randint(2, 5)}.{r.randint(0, 9)}.{r.randint(0, 9)}+incompatible"
        out.append(v)
    out += ["v1", "v1.2", "v1.0.0", "v1.2.0", "v2", "1", "1.2", "v0", "v0.0", "v2.0.0+incompatible", "v1.0.0-rc.1+build"]
    bad = ["", "v", "v1.2-pre", "v1.2+build", "v01.2.3", "v1.2.3-01", "v1.2.3.4", "vx", "v1..2", "v1.2.3-", "1.2.3-a..b"]
    return out, bad


def gen_maven(r, n):
    quals = ["alpha", "beta", "milestone", "rc", "cr", "snapshot", "ga", "final", "release", "sp", "a", "b", "m",
             "foo", "bar", "SNAPSHOT", "RC", "Final", "RELEASE", "GA", "jre", "android", "x", "abc", "", "dev", "pre"]
    out = []
    for _ in range(n):
        v = num(r) if r.random() < 0.95 else r.choice(quals)
        for _ in range(r.randint(0, 5)):
            sep = r.choice([".", "-", "", ".", "-"])
            tok = num(r) if r.random() < 0.5 else r.choice(quals)
            v += sep + tok
        if not v:
            v = "1"
        out.append(v)
    out += ["1", "1.0", "1.0.0", "1-0", "1.0-0", "1-1", "1.1", "1-alpha", "1-alpha-1", "1a1", "1-alpha1", "1.0-SNAPSHOT",
            "1-SNAPSHOT", "1.0.RELEASE", "1.0.Final", "1.0-sp1", "1.0-ga", "1.0-final", "1-cr1", "1-rc1", "1.0.0.Final",
            "2.0.0.RC1", "2.0.0.M1", "2.0.0-M1", "1-1-1", "1.0.0-1", "1.0.0.1", "1..1", "1--1", "1.-1", "-1", ".1",
            "1.0-jre", "31.1-jre", "31.1-android", "2.17.1", "2.15.0-rc2", "2.3.1", "5.3.18", "1-0.1", "1-.1",
            "1.0.RC1", "1.0.rc.1", "1.0-rc-1", "1.0.0-alpha.1", "1.foo", "1-foo", "1foo", "1.0.foo", "1.sp", "1-sp",
            "1.0.0.0.0.0.0.1", "1-a", "1.a", "1a", "1.0a", "1.0.0a1", "1x1", "1-x-1"]
    return out, []


def gen_rubygems(r, n):
    out = []
    for _ in range(n):
        v = num(r)
        for _ in range(r.randint(0, 4)):
            v += "." + (num(r) if r.random() < 0.6 else r.choice(["a", "b", "pre", "rc", "beta", "alpha", "RC", "x1", "1a", "dev", "0"]))
        if r.random() < 0.15:
            v += "-" + r.choice(["1", "a", "pre", "rc1", "x-y", "beta.2"])
        out.append(v)
    out += ["1.0", "1", "1.0.0", "1.0.a", "1.a", "1.0.a.0", "1.0.b1", "1.0.a2", "1.0-1", "1.0.pre.1", "1.0.rc1",
            "1.0.RC1", "0", "1.8.2", "1.8.10", "2.0.0.rc1", "2.0.0.beta.2", "1.2.3-1", "1.0a", "1.0.0a", "1.0.x"]
    bad = ["junk", "1..2", "1.2.", ".1", "1.2 3", "1-", "1-a..b", "1.2-", "a", "1.2_3", "1.2.3+build", "v1.0"]
    return out, bad


def gen_apk(r, n):
    out = []
    for _ in range(n):
        v = num(r)
        for _ in range(r.randint(0, 3)):
            v += "." + num(r)
        if r.random() < 0.15:
            v += r.choice("abcxyz")
        for _ in range(r.randint(0, 2)):
            v += "_" + r.choice(["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"]) + (num(r) if r.random() < 0.7 else "")
        if r.random() < 0.7:
            v += "-r" + str(r.randint(0, 12))
        out.append(v)
    return out, []


# ---------------------------------------------------------------- reference runners

def run_lines(cmd, pairs, **kw):
    inp = "".join(f"{a}\t{b}\n" for a, b in pairs)
    res = subprocess.run(cmd, input=inp, capture_output=True, text=True, check=True, **kw)
    out = []
    for line in res.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            out.append(tuple(parts))
    if len(out) != len(pairs):
        raise SystemExit(f"{cmd[0]}: expected {len(pairs)} results, got {len(out)}")
    return out


def ref_debian(pairs):
    out = []
    for a, b in pairs:
        lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], capture_output=True)
        if lt.returncode == 2:
            out.append((a, "!", b))
            continue
        if lt.returncode == 0:
            out.append((a, "<", b))
            continue
        eq = subprocess.run(["dpkg", "--compare-versions", a, "eq", b], capture_output=True)
        out.append((a, "=" if eq.returncode == 0 else ">", b))
    return out


def ref_rpm(pairs):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "pairs")
        with open(p, "w", encoding="utf-8") as f:
            f.write("".join(f"{a}\t{b}\n" for a, b in pairs))
        lua = os.path.join(HERE, "rpm_cmp.lua")
        subprocess.run(["rpm", "--eval", f"%{{lua: PAIRS='{p}'; dofile('{lua}')}}"], check=True, capture_output=True)
        with open(p + ".out", encoding="utf-8") as f:
            return [tuple(l.split("\t")) for l in f.read().splitlines()]


def ref_pep440(pairs):
    from packaging.version import InvalidVersion, Version

    out = []
    for a, b in pairs:
        try:
            va, vb = Version(a), Version(b)
        except InvalidVersion:
            out.append((a, "!", b))
            continue
        out.append((a, "<" if va < vb else ">" if va > vb else "=", b))
    return out


def ref_semver(pairs):
    return run_lines(["node", os.path.join(HERE, "semver_cmp.js")], pairs)


def ref_go(pairs):
    env = dict(os.environ, GO111MODULE="off", GOPATH=os.environ.get("GOPATH", "/usr/share/gocode"), GOFLAGS="")
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "gocmp")
        subprocess.run(["go", "build", "-o", exe, os.path.join(HERE, "go_cmp.go")], check=True, env=env)
        return run_lines([exe], pairs)


def ref_maven(pairs):
    jar = os.environ.get("MAVEN_ARTIFACT_JAR") or next(iter(glob.glob("/usr/share/maven/lib/maven-artifact*.jar")), None)
    if not jar:
        raise SystemExit("maven-artifact jar not found (set MAVEN_ARTIFACT_JAR)")
    return run_lines(["java", "-cp", jar, os.path.join(HERE, "MavenCmp.java")], pairs)


def ref_rubygems(pairs):
    return run_lines(["ruby", os.path.join(HERE, "gem_cmp.rb")], pairs)


def ref_apk(pairs):
    tool = os.environ.get("APK_VERCMP")
    if not tool:
        return None
    return run_lines([tool], pairs)


def ref_msbuild(pairs):
    key = lambda v: tuple(int(x) for x in v.split("."))
    out = []
    for a, b in pairs:
        ka, kb = key(a), key(b)
        n = max(len(ka), len(kb))
        ka, kb = ka + (0,) * (n - len(ka)), kb + (0,) * (n - len(kb))
        out.append((a, "<" if ka < kb else ">" if ka > kb else "=", b))
    return out


# ---------------------------------------------------------------- assembly

def make_pairs(name, pool, r, n, alphabet):
    pool = clean(pool)
    pairs = set()
    tries = 0
    while len(pairs) < n and tries < n * 20 and pool:
        tries += 1
        a = r.choice(pool)
        x = r.random()
        if x < 0.45:
            b = r.choice(pool)
        elif x < 0.85:
            b = mutate(a, r, alphabet)
        else:
            b = a
        if b and "\t" not in b and not b.startswith("#"):
            pairs.add((a, b))
    return sorted(pairs)


def write(name, header, rows, invalid=None):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, f"{name}.tsv"), "w", encoding="utf-8") as f:
        f.write(header)
        for a, op, b in rows:
            f.write(f"{a}\t{op}\t{b}\n")
    if invalid is not None:
        with open(os.path.join(OUT, f"{name}.invalid"), "w", encoding="utf-8") as f:
            f.write(header.replace("a<TAB>op<TAB>b", "one rejected version per line"))
            for v in sorted(set(invalid)):
                f.write(v + "\n")
    print(f"{name}: {len(rows)} pairs" + (f", {len(set(invalid))} invalid" if invalid is not None else ""))


def header(name, source, material):
    return (f"# {name} version order: a<TAB>op<TAB>b, generated by scripts/gen_vectors.py\n"
            f"# reference: {source}\n# input: {material}\n")


SCHEMES = {
    # name: (generator, real-data kinds, reference, reference description, mutation alphabet)
    "debian": (gen_debian, [], ref_debian, "dpkg --compare-versions (dpkg 1.21, Debian 12)", "0123456789.~+-:abzAZ"),
    "rpm": (gen_rpm, ["rpm"], ref_rpm, "rpm.vercmp (rpmverCmp) in rpm 4.18's Lua", "0123456789.~^_-:+abzAZ%"),
    "pep440": (gen_pep440, ["pypi"], ref_pep440, "Python packaging.version.Version", "0123456789.-_+!abcrpostdevABCv"),
    "semver": (gen_semver, ["crates", "go", "ghsa"], ref_semver, "npm semver package (strict)", "0123456789.-+abzAZ"),
    "go": (gen_go, ["go"], ref_go, "golang.org/x/mod/semver (Compare, IsValid)", "0123456789.-+abfv"),
    "maven": (gen_maven, ["ghsa"], ref_maven, "Maven ComparableVersion (maven-artifact 3.8.7)", "0123456789.-abmrs"),
    "rubygems": (gen_rubygems, [], ref_rubygems, "RubyGems Gem::Version (RubyGems 3.3, Ruby 3.1)", "0123456789.-abprc"),
    "apk": (gen_apk, [], ref_apk, "apk-tools src/version.c via APK_VERCMP", "0123456789._-rabp"),
    "msbuild": (None, ["exchange"], ref_msbuild, "dotted-decimal integer order", "0123456789."),
}


def build(name):
    gen, kinds, ref, desc, alphabet = SCHEMES[name]
    r = rng(name)
    realv = []
    for k in kinds:
        realv += real(k)
    if name in ("semver",):
        realv = [v for v in realv if v.count(".") >= 2]
    gen_vs, bad = gen(r, 1500) if gen else ([], [])
    pool = clean(realv) + gen_vs
    if name == "msbuild":
        pool = clean(realv)
        pool += ["15.2.792", "15.2.792.0", "15.02.0792.013", "10.0.19041.1415", "10.0.19041", "6.3.9600.20337",
                 "15.1.2308.8", "15.1.2308.14", "15.0.1497.2", "99999999999999999999.0", "1", "0"]
    pairs = make_pairs(name, pool, r, PAIRS_PER_SCHEME, alphabet)
    if name == "apk":
        # apk's C token values are machine integers; keep numbers where that is still exact.
        pairs = [(a, b) for a, b in pairs if not re.search(r"[1-9]\d{17,}", a + " " + b)]
    if name == "msbuild":
        pairs = [(a, b) for a, b in pairs if re.fullmatch(r"\d+(\.\d+)*", a) and re.fullmatch(r"\d+(\.\d+)*", b)]
    results = ref(pairs)
    if results is None:
        print(f"{name}: reference tool not available, vectors kept as they are")
        return
    rows = [t for t in results if t[1] in "<=>"]
    invalid = None
    if name in ("debian", "pep440", "semver", "go", "rubygems"):
        singles = ref([(v, v) for v in clean(bad + pool)])
        invalid = [a for a, op, _ in singles if op == "!"]
        if name == "semver":
            # vigil accepts numbers beyond 2^53 and a leading V (documented leniencies).
            invalid = [v for v in invalid if not re.search(r"\d{16,}", v)]
        if name == "go":
            invalid = [v for v in invalid if not re.search(r"\d{16,}", v)]
    material = "real versions from " + (", ".join(kinds) or "no shared set") + " plus generated adversarial strings"
    write(name, header(name, desc, material), rows, invalid)


def main():
    names = sys.argv[1:] or list(SCHEMES)
    for n in names:
        build(n)


if __name__ == "__main__":
    main()
