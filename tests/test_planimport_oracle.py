"""The two seed documents are the parser's oracle: run on each, how many of the curated fixture's facts
(plan facts, sections, tasks and their text, unit lists, targets and milestones with comparator, figures and
year, each tied to its source sentence) does the draft reproduce before any human edit?"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from planimport.draft import draft_from_text
from plans.unit_lists import split_unit_list

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The share each document reaches today, measured honestly; the goal is 0.95 or better for each.
FLOOR = {"quanzhou-2024-2026": 1.0, "zhenjiang-edz-2024-2026": 0.95}


def _squash(text: str) -> str:
    return re.sub(r"[\s,，;；。:：]", "", text or "")


def _figure(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _same_source(fixture_source: str, draft_source: str) -> bool:
    """A draft target stands on the fixture's sentence when one of the fixture's quoted sentences and one of
    the draft's spans contain each other."""
    ours = [_squash(line) for line in draft_source.split("\n")]
    theirs = [_squash(line) for line in fixture_source.split("\n")]
    return any(a in b or b in a for a in ours for b in theirs if a and b)


def _target_matches(fixture_target: dict, draft_target: dict) -> bool:
    return (
        fixture_target["year"] == draft_target["year"]
        and fixture_target["comparator"] == draft_target["comparator"]
        and _figure(fixture_target.get("min")) == _figure(draft_target["min"])
        and _figure(fixture_target.get("max")) == _figure(draft_target["max"])
        and _same_source(fixture_target["source"], draft_target["source"])
    )


def compare(fixture: dict, draft: dict) -> dict:
    """Facts right and wrong, fact by fact, plus the secondary readings (grouping into indicators, measure
    kind) that the office confirms on review."""
    right: list[str] = []
    wrong: list[str] = []

    def check(label: str, ok: bool) -> None:
        (right if ok else wrong).append(label)

    plan, ours = fixture["plan"], draft["plan"]
    for key in ("title", "issuer", "start_year", "end_year"):
        check(f"plan.{key}={plan[key]!r} (draft {ours[key]!r})", plan[key] == ours[key])
    issued = plan["issued_on"].isoformat() if plan["issued_on"] else None
    check(f"plan.issued_on={issued} (draft {ours['issued_on']})", issued == ours["issued_on"])

    drafted_sections = {section["number"]: section for section in draft["sections"]}
    for section in fixture["sections"]:
        got = drafted_sections.get(section["number"], {"title": None, "tasks": []})
        check(
            f"section {section['number']} {section['title']} (draft {got['title']})",
            got["title"] == section["title"],
        )
        drafted_tasks = {task["number"]: task for task in got["tasks"]}
        for task in section["tasks"]:
            label = f"task {section['number']}.{task['number']}"
            mine = drafted_tasks.get(task["number"])
            check(
                f"{label} title {task['title']} (draft {mine and mine['title']})",
                bool(mine) and mine["title"] == task["title"],
            )
            check(f"{label} text", bool(mine) and _squash(mine["text"]) == _squash(task["text"]))
            expected_units = split_unit_list(task.get("responsible", ""))
            got_units = split_unit_list(mine["responsible"]) if mine else None
            check(f"{label} units {expected_units} (draft {got_units})", got_units == expected_units)

    draft_targets = [(ind, target) for ind in draft["indicators"] for target in ind["targets"]]
    used: set[int] = set()
    grouped = measured = 0
    for indicator in fixture["indicators"]:
        owners = set()
        for target in indicator["targets"]:
            hits = [i for i, (_, mine) in enumerate(draft_targets) if _target_matches(target, mine)]
            used.update(hits)
            owners.update(draft_targets[i][0]["code"] for i in hits)
            label = f"target {indicator['name']} {target['year']} {target['comparator']} {target.get('min')}"
            check(label, bool(hits))
        if len(owners) == 1:
            owner = next(ind for ind in draft["indicators"] if ind["code"] in owners)
            same_years = sorted(t["year"] for t in owner["targets"]) == sorted(
                t["year"] for t in indicator["targets"]
            )
            grouped += same_years
            measured += owner["measure"] == indicator["measure"]
    extra = [
        f"{ind['name']} {target['year']} {target['comparator']} {target['min']}"
        for i, (ind, target) in enumerate(draft_targets)
        if i not in used
    ]
    return {
        "right": right,
        "wrong": wrong,
        "share": len(right) / (len(right) + len(wrong)),
        "extra_targets": extra,
        "grouped": (grouped, len(fixture["indicators"])),
        "measured": (measured, len(fixture["indicators"])),
    }


@pytest.mark.parametrize("slug", sorted(FLOOR))
def test_it_reproduces_the_curated_fixture_from_the_document(slug, capsys):
    fixture = yaml.safe_load((FIXTURES / f"{slug}.yaml").read_text(encoding="utf-8"))
    text = (FIXTURES / "sources" / f"{slug}.txt").read_text(encoding="utf-8")
    result = compare(fixture, draft_from_text(text, slug=slug))
    with capsys.disabled():
        total = len(result["right"]) + len(result["wrong"])
        print(f"\n[oracle] {slug}: {len(result['right'])}/{total} facts right = {result['share']:.1%}")
        print(
            f"[oracle] {slug}: indicators grouped as curated {result['grouped'][0]}/{result['grouped'][1]}, "
            f"measure kind as curated {result['measured'][0]}/{result['measured'][1]}"
        )
        for label in result["wrong"]:
            print(f"[oracle] {slug} wrong: {label}")
        for label in result["extra_targets"]:
            print(f"[oracle] {slug} extra (not in the fixture): {label}")
    assert result["share"] >= FLOOR[slug]


def test_it_counts_a_wrong_reading_as_wrong():
    fixture = yaml.safe_load((FIXTURES / "zhenjiang-edz-2024-2026.yaml").read_text(encoding="utf-8"))
    text = (FIXTURES / "sources" / "zhenjiang-edz-2024-2026.txt").read_text(encoding="utf-8")
    draft = draft_from_text(text)
    draft["indicators"][0]["targets"][0]["min"] = "999999"
    draft["sections"][0]["title"] = "别的板块"
    result = compare(fixture, draft)
    assert any(label.startswith("section 1 ") for label in result["wrong"])
    assert any("999999" in label for label in result["extra_targets"])
