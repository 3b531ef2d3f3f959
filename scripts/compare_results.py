#!/usr/bin/env python3
"""Compare the runs of two sets of results.jsonl files case by case.

usage: compare_results.py A.jsonl[,A2.jsonl...] B.jsonl[,B2.jsonl...]

Each side is the union of its files. Two sides agree when they hold the same case ids and, for
each, the same status, iterations, oracle calls, residual and final iterate (timings differ).
Runs that ended on their time limit on either side depend on the machine's speed: they are
counted, not compared. Exit status 0 when they agree, 1 otherwise (the differences on stderr)."""
import json
import sys

FIELDS = ("status", "iterations", "oracle_calls", "residual", "z")


def load(arg):
    runs = {}
    for path in arg.split(","):
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                runs[r["case_id"]] = {k: r.get(k) for k in FIELDS}
    return runs


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = load(sys.argv[1]), load(sys.argv[2])
    bad = sorted(set(a) ^ set(b))
    for k in bad:
        print(f"case {k} only in {'the first' if k in a else 'the second'} set", file=sys.stderr)
    both = sorted(set(a) & set(b))
    timed = [k for k in both if "TimeLimit" in (a[k]["status"], b[k]["status"])]
    diff = [k for k in both if k not in timed and a[k] != b[k]]
    for k in diff:
        what = [f"{f} {a[k][f]} vs {b[k][f]}" for f in FIELDS if f != "z" and a[k][f] != b[k][f]]
        if a[k]["z"] != b[k]["z"]:
            what.append("final iterate differs")
        print(f"case {k} differs: {'; '.join(what)}", file=sys.stderr)
    agree = len(both) - len(timed) - len(diff)
    print(
        f"{len(a)} and {len(b)} runs; {agree} agree, {len(diff)} differ, {len(bad)} unmatched, "
        f"{len(timed)} ended on the time limit (not compared)"
    )
    sys.exit(1 if bad or diff else 0)


if __name__ == "__main__":
    main()
