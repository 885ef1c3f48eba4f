"""The project's names file, conf/client-names.csv, checked against the captured ClientHellos.

    /usr/bin/python3 tests/client_names_check.py conf/client-names.csv tests/data/client_hellos.jsonl

scripts/client_names.sh makes the CSV by running the clients of a Debian 12 machine; CI cannot run
them all in its time, so CTest (`client_names_csv`) runs this instead. It fails when:

- the header is not the header of FoxIO's ja4plus-mapping.csv (SNIFallbackClientNames and other
  tools read that layout);
- a row has no name, no JA4, a JA4 that is not a JA4, or a JA4 another row has (one row per JA4);
- a row's Notes do not name the capture labels that produced it (the script writes them; a row
  typed in by hand has none);
- a captured vector's JA4 is in the CSV but the row does not name the vector's program;
- a program has vectors and rows, yet none of its vector JA4s is in the CSV (the two were captured
  from different versions: run scripts/client_names.sh and scripts/capture_hellos.sh again).
"""
import csv
import json
import re
import sys

FOXIO_HEADER = ["Application", "Library", "Device", "OS", "ja4", "ja4s", "ja4h", "ja4x", "ja4t",
                "ja4tscan", "Notes"]
JA4 = re.compile(r"^[tqd](13|12|11|10|s3|s2|00)[di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$")
NOTES = re.compile(r"^measured on Debian 12 by scripts/client_names\.sh: ([a-z0-9 .-]+)$")


def program(label):
    """The program a capture label names: its first word (gnutls-cli is one word)."""
    return "gnutls" if label.startswith("gnutls-cli") else label.split("-", 1)[0]


def check(csv_path, vectors_path):
    problems = []
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != FOXIO_HEADER:
        problems.append("header is %r, not FoxIO's %r" % (rows[0] if rows else None, FOXIO_HEADER))
        return problems
    by_ja4 = {}  # ja4 -> (line, programs)
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(FOXIO_HEADER):
            problems.append("line %d: %d fields, not %d" % (line, len(row), len(FOXIO_HEADER)))
            continue
        fields = dict(zip(FOXIO_HEADER, row))
        ja4 = fields["ja4"]
        if not JA4.match(ja4):
            problems.append("line %d: %r is not a JA4" % (line, ja4))
        if not (fields["Application"] or fields["Library"]):
            problems.append("line %d: no name" % line)
        notes = NOTES.match(fields["Notes"])
        if not notes:
            problems.append("line %d: Notes do not name the capture labels: %r" % (line,
                                                                                  fields["Notes"]))
            continue
        if ja4 in by_ja4:
            problems.append("line %d: JA4 %s is on line %d too" % (line, ja4, by_ja4[ja4][0]))
            continue
        by_ja4[ja4] = (line, {program(label) for label in notes.group(1).split()})

    csv_programs = set().union(*(p for _, p in by_ja4.values())) if by_ja4 else set()
    vector_ja4s = {}  # program -> set of ja4
    with open(vectors_path) as f:
        for text in f:
            v = json.loads(text)
            ja4, prog = v["expected"]["ja4"], program(v["id"])
            vector_ja4s.setdefault(prog, set()).add(ja4)
            if ja4 in by_ja4 and prog not in by_ja4[ja4][1]:
                problems.append("vector %s: JA4 %s is named on line %d without %s" %
                                (v["id"], ja4, by_ja4[ja4][0], prog))
    for prog in sorted(csv_programs & set(vector_ja4s)):
        if not vector_ja4s[prog] & set(by_ja4):
            problems.append("%s: none of its captured JA4s (%s) is in the CSV" %
                            (prog, ", ".join(sorted(vector_ja4s[prog]))))
    return problems


def main():
    problems = check(sys.argv[1], sys.argv[2])
    for p in problems:
        print("client_names_check: " + p)
    if problems:
        return 1
    print("client_names_check: %s agrees with %s" % (sys.argv[1], sys.argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
