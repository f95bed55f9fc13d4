"""Compares what the independent SCIM checkers reported with the known cases.

Reads the text report of `scim2 test` and the JSON report of `scim-sanity probe` of each
app, and the allow-list in known-failures.toml. Every result that is not a pass is a
failure, unless an entry of the allow-list for that app names it (the app among its
`apps`, same checker, status and check, and a reason that starts with the entry's
`reason_starts_with`, or matches its regular expression `reason_matches`).
Exits 1 when there is a failure nobody knows, or when a known case of the app no longer
happens (unless the entry is `intermittent`: the checker's random values decide it) (so the list, and conformance/README.md, never outlive the bug they describe); 0
otherwise.

Usage: triage.py KNOWN_FAILURES_TOML (APP SCIM2_REPORT_TXT SCIM_SANITY_REPORT_JSON)...

Prints one closing line for all the apps given.
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
    # A reason that names a generated id is matched by a regular expression instead.
    if "reason_matches" in entry:
        reason_known = re.match(entry["reason_matches"], failure.reason) is not None
    else:
        reason_known = failure.reason.startswith(entry["reason_starts_with"])
    return (
        failure.checker == entry["checker"]
        and failure.status == entry["status"]
        and failure.check == entry["check"]
        and reason_known
    )


@dataclass
class Outcome:
    passed: int = 0
    failed: int = 0
    skipped: int = 0


def triage_app(entries: list[dict], app: str, scim2_path: str, sanity_path: str) -> Outcome:
    known = [e for e in entries if app in e["apps"]]
    with open(scim2_path, encoding="utf-8") as f:
        scim2 = scim2_report(f.read())
    with open(sanity_path, encoding="utf-8") as f:
        sanity = sanity_report(json.load(f))
    if scim2.total() == 0 or sanity.total() == 0:
        print(f"[{app}] a checker reported no results at all: see its output")
        return Outcome(failed=1)

    new, seen = [], set()
    for failure in scim2.failures + sanity.failures:
        match = next((i for i, e in enumerate(known) if is_known(failure, e)), None)
        if match is None:
            new.append(failure)
        else:
            seen.add(match)
            print(
                f"[{app}] known: {failure}\n"
                f"       (conformance/README.md#{known[match]['readme']})"
            )
    stale = [
        e for i, e in enumerate(known) if i not in seen and not e.get("intermittent", False)
    ]

    for failure in new:
        print(f"[{app}] NEW FAILURE: {failure}")
    for entry in stale:
        print(
            f"[{app}] KNOWN CASE NO LONGER SEEN: {entry['checker']} {entry['status']} "
            f"{entry['check']}: {entry.get('reason_starts_with') or entry['reason_matches']} — "
            f"remove {app} from its apps "
            f"in known-failures.toml, and the case from conformance/README.md if no app has it"
        )
    tolerated = sum(1 for f in scim2.failures + sanity.failures if f not in new)
    print(
        f"checkers [{app}]: scim2-tester {scim2.total()} results, scim-sanity {sanity.total()}; "
        f"{len(new)} new failures, {tolerated} known cases, {len(stale)} stale entries"
    )
    # Known cases count as skipped.
    return Outcome(
        passed=scim2.passed + sanity.passed,
        failed=len(new) + len(stale),
        skipped=scim2.skipped + sanity.skipped + tolerated,
    )


def main(known_path: str, *runs: str) -> int:
    with open(known_path, "rb") as f:
        entries = tomllib.load(f).get("known", [])
    for entry in entries:
        if not entry.get("apps"):
            print(f"known-failures entry without apps: {entry}")
            return 1
    total = Outcome()
    for i in range(0, len(runs), 3):
        outcome = triage_app(entries, *runs[i : i + 3])
        total.passed += outcome.passed
        total.failed += outcome.failed
        total.skipped += outcome.skipped
    # The closing line is read by CI.
    print(f"checkers: {total.passed} passed, {total.failed} failed, {total.skipped} skipped")
    return 1 if total.failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 5 or (len(sys.argv) - 2) % 3 != 0:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
