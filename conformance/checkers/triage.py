"""Compares what the independent SCIM checkers reported with the known cases.

Reads the text report of `scim2 test` and the JSON report of `scim-sanity probe`, and the
allow-list in known-failures.toml. Every result that is not a pass is a failure, unless an
entry of the allow-list names it (same checker, status and check, and a reason that starts
with the entry's text). Exits 1 when there is a failure nobody knows, or when a known case
no longer happens (so the list, and conformance/README.md, never outlive the bug they
describe); 0 otherwise.

Usage: triage.py KNOWN_FAILURES_TOML SCIM2_REPORT_TXT SCIM_SANITY_REPORT_JSON
"""

import json
import re
import sys
import tomllib
from dataclasses import dataclass, field

# scim2-cli prints each result as "<STATUS> <check title>", then its reason indented by two
# spaces (a reason may go on over more lines, unindented); it treats every status but
# SUCCESS as a failure, and so does this script.
SCIM2_RESULT = re.compile(
    r"^(SUCCESS|COMPLIANT|ACCEPTABLE|DEVIATION|ERROR|CRITICAL|SKIPPED) (\S.*)$"
)


@dataclass(frozen=True)
class Failure:
    checker: str
    status: str
    check: str
    reason: str

    def __str__(self) -> str:
        return f"{self.checker}: {self.status} {self.check}: {self.reason}"


@dataclass
class Report:
    passed: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)

    def total(self) -> int:
        return self.passed + self.skipped + len(self.failures)


def scim2_report(text: str) -> Report:
    report = Report()
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = SCIM2_RESULT.match(line)
        if not match:
            continue
        status, check = match.groups()
        if status == "SUCCESS":
            report.passed += 1
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        reason = following[2:] if following.startswith("  ") else ""
        report.failures.append(Failure("scim2-tester", status, check, reason))
    return report


def sanity_report(document: dict) -> Report:
    report = Report()
    print("scim-sanity:")
    for result in document["results"]:
        status, name = result["status"], result["name"]
        message = result.get("message", "")
        print(f"  [{status.upper()}] {name}" + (f": {message}" if message else ""))
        if status == "pass":
            report.passed += 1
        elif status == "skip" and name.startswith("Agent"):
            # The agent drafts' resource types, which scimbridge does not serve. A skipped
            # User or Group phase is a failure.
            report.skipped += 1
        else:
            report.failures.append(Failure("scim-sanity", status.upper(), name, message))
    return report


def is_known(failure: Failure, entry: dict) -> bool:
    return (
        failure.checker == entry["checker"]
        and failure.status == entry["status"]
        and failure.check == entry["check"]
        and failure.reason.startswith(entry["reason_starts_with"])
    )


def main(known_path: str, scim2_path: str, sanity_path: str) -> int:
    with open(known_path, "rb") as f:
        known = tomllib.load(f).get("known", [])
    with open(scim2_path, encoding="utf-8") as f:
        scim2 = scim2_report(f.read())
    with open(sanity_path, encoding="utf-8") as f:
        sanity = sanity_report(json.load(f))
    if scim2.total() == 0 or sanity.total() == 0:
        print("a checker reported no results at all: see its output")
        return 1

    new, seen = [], set()
    for failure in scim2.failures + sanity.failures:
        match = next((i for i, e in enumerate(known) if is_known(failure, e)), None)
        if match is None:
            new.append(failure)
        else:
            seen.add(match)
            print(f"known: {failure}\n       (conformance/README.md#{known[match]['readme']})")
    stale = [e for i, e in enumerate(known) if i not in seen]

    for failure in new:
        print(f"NEW FAILURE: {failure}")
    for entry in stale:
        print(
            f"KNOWN CASE NO LONGER SEEN: {entry['checker']} {entry['status']} {entry['check']}: "
            f"{entry['reason_starts_with']} — remove it from known-failures.toml and "
            f"conformance/README.md"
        )
    tolerated = sum(1 for f in scim2.failures + sanity.failures if f not in new)
    print(
        f"checkers: scim2-tester {scim2.total()} results, scim-sanity {sanity.total()}; "
        f"{len(new)} new failures, {tolerated} known cases, {len(stale)} stale entries"
    )
    # Known cases count as skipped: the closing line is read by CI.
    print(
        f"checkers: {scim2.passed + sanity.passed} passed, {len(new) + len(stale)} failed, "
        f"{scim2.skipped + sanity.skipped + tolerated} skipped"
    )
    return 1 if new or stale else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
