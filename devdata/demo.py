"""Demo data for `manage.py demo_data`: accounts for every role, the office's reporting assignments,
population figures and synthetic quarterly reports from 2024 Q1 to 2026 Q3.

Nothing here is a fact from the plans. Every figure, task report and population is stored with
`is_demo=True`, and the history of each row says 演示数据. The Zhenjiang document names no unit per task; the
units below are the ones its text mentions (市场局, 大港街道, 科技人才 and 工信 departments) and their
assignment to tasks stands for what the office would do.
"""

from __future__ import annotations

import datetime
import random
import zlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from indicators.models import Assignment, Indicator, Population, Target
from plans.models import Plan, Region, Task, TaskUnit, Unit
from reporting.models import Period, ReviewState, Submission, TaskReport
from reporting.services.calendar import periods_ensure

# Demo accounts only; demo_load refuses to run outside `make run` and the tests.
DEMO_PASSWORD = "ipcity2026"  # noqa: S105  # nosec B105
REASON = "演示数据"
QUANZHOU, ZHENJIANG = "quanzhou-2024-2026", "zhenjiang-edz-2024-2026"
LAST = (2026, 3)  # the latest quarter with demo reports
MISSING_UNIT = "中国人民银行泉州市分行"  # reports nothing for the latest quarter
RETURNED = ("经开区工信局", "pledge-financing", "与人民银行统计口径不一致，请核实后重新报送。")
AWAITING_REVIEW = ("市知识产权局", "经开区市场局")  # their latest quarter waits in the office's queue

ROLE_ACCOUNTS = [
    ("office", User.Role.REVIEWER, "领导小组办公室", "审核"),
    ("leader", User.Role.LEADER, "分管领导", ""),
    ("admin", User.Role.ADMIN, "系统管理员", ""),
]

# Reporter accounts: one per unit that reports. Groups (市知识产权工作领导小组各成员单位) do not report.
QUANZHOU_REPORTERS = {
    "市知识产权局": "qz-zscqj",
    "市科技局": "qz-kjj",
    "市工信局": "qz-gxj",
    "市教育局": "qz-jyj",
    "市海洋渔业局": "qz-hyyyj",
    "市发改委": "qz-fgw",
    "市文旅局": "qz-wlj",
    "市农业农村局": "qz-nyncj",
    "市林业局": "qz-lyj",
    "市金融监管局": "qz-jrjgj",
    "中国人民银行泉州市分行": "qz-rmyh",
    "国家金融监督管理总局泉州监管分局": "qz-jrjgfj",
    "市版权局": "qz-bqj",
    "泉州海关": "qz-hg",
    "市中级人民法院": "qz-zy",
    "市人民检察院": "qz-jcy",
    "市公安局": "qz-gaj",
    "市司法局": "qz-sfj",
    "晋江市人民政府": "qz-jinjiang",
    "丰泽区人民政府": "qz-fengze",
    "市人社局": "qz-rsj",
    "市委宣传部": "qz-xcb",
}
ZHENJIANG_UNITS = {
    "经开区市场局": "zj-scj",
    "经开区科技人才局": "zj-kjrc",
    "经开区工信局": "zj-gxj",
    "大港街道": "zj-dg",
}

# Which unit reports which indicator (the office's decision; demo). Several units → their figures add up.
QUANZHOU_ASSIGNMENTS = {
    "hv-invention-patents-per-10k": ["市知识产权局"],
    "trademarks": ["市知识产权局"],
    "geographical-indications": ["市知识产权局"],
    "copyright-registrations": ["市版权局"],
    "advantage-enterprises": ["市知识产权局"],
    "service-outlets": ["市知识产权局", "晋江市人民政府", "丰泽区人民政府"],
    "protection-centers": ["市知识产权局"],
    "patent-pledge-financing": ["中国人民银行泉州市分行"],
    "strong-counties": ["市知识产权局"],
    "demonstration-city": ["市知识产权局"],
}
ZHENJIANG_ASSIGNMENTS = {
    "hv-invention-patents": ["经开区科技人才局"],
    "new-trademarks": ["经开区市场局"],
    "enforcement-actions": ["经开区市场局"],
    "infringement-cases": ["经开区市场局"],
    "case-closure-rate": ["经开区市场局"],
    "pledge-financing": ["经开区工信局"],
    "pledge-matchmaking-events": ["经开区工信局"],
    "patent-licensing-transfer": ["经开区工信局", "大港街道"],
    "standard-certified-enterprises": ["经开区科技人才局"],
    "standard-full-coverage": ["经开区科技人才局"],
    "new-advantage-enterprises": ["经开区科技人才局"],
    "advantage-enterprises": ["经开区科技人才局"],
    "service-institutions": ["经开区市场局"],
    "new-service-institutions": ["经开区市场局"],
    "service-filing-system": ["经开区市场局"],
    "new-ip-talent": ["经开区科技人才局"],
    "trainees": ["经开区科技人才局", "大港街道"],
    "training-sessions": ["经开区科技人才局"],
    "annual-training-plan": ["经开区科技人才局"],
    "topic-meetings": ["经开区市场局"],
    "annual-work-points": ["经开区市场局"],
    "ip-alliance": ["经开区工信局"],
}
# Zhenjiang task numbers → units, lead first (demo office assignment).
ZHENJIANG_TASK_UNITS = {
    1: ["经开区市场局", "经开区科技人才局"],
    2: ["经开区市场局"],
    3: ["经开区科技人才局", "经开区工信局"],
    4: ["经开区科技人才局"],
    5: ["经开区市场局", "大港街道"],
    6: ["经开区市场局", "经开区工信局"],
    7: ["经开区工信局"],
    8: ["经开区工信局", "经开区科技人才局"],
    9: ["经开区工信局"],
    10: ["经开区市场局"],
    11: ["经开区市场局"],
    12: ["经开区市场局", "大港街道"],
    13: ["经开区市场局"],
    14: ["经开区市场局"],
    15: ["经开区科技人才局"],
    16: ["经开区科技人才局"],
    17: ["大港街道", "经开区市场局"],
}
# Resident population, 万人 (demo values, not statistics).
POPULATION = {
    "quanzhou": (887.0, 889.5, 891.0),
    "quanzhou-jinjiang": (207.0, 208.1, 209.0),
    "quanzhou-fengze": (60.2, 60.6, 61.0),
    "zhenjiang-edz": (35.1, 35.6, 36.0),
}
# Where each demo series starts at the end of 2023 when the plan gives no baseline (demo).
START = {
    "hv-invention-patents-per-10k": Decimal(3900),  # reported as the count of high-value invention patents
    "advantage-enterprises": Decimal(280),
    "service-outlets": Decimal(12),
    "protection-centers": Decimal(2),
    "hv-invention-patents": Decimal(700),
    "advantage-enterprises@zj": Decimal(9),
    "service-institutions": Decimal(44),
    # Levels without a baseline of their own (its reading is 待确认): demo starting points only.
    "geographical-indications": Decimal(56),
    "copyright-registrations": Decimal(45),
}
# How well each demo series does against its target: >1 ahead, <1 behind. Cycled over the assignments.
PACE = [1.04, 0.97, 0.92, 0.86, 1.0, 0.74, 0.95, 1.08, 0.9]
QUARTERS = [
    (year, quarter) for year in (2024, 2025, 2026) for quarter in (1, 2, 3, 4) if (year, quarter) <= LAST
]

# Task titles begin with their own verb (推进…, 加强…), so they are quoted, never glued to another verb.
PROGRESS_TEXTS = [
    "本季度按计划落实“{task}”相关工作，已召开专题会议，明确责任分工。",
    "围绕“{task}”开展调研走访，梳理企业需求，形成工作清单并逐项落实。",
    "“{task}”相关工作稳步开展，政策文件已起草完成，正在征求意见。",
    "持续抓好“{task}”，组织开展培训和宣传活动，工作成效逐步显现。",
]
DONE_TEXTS = [
    "本项任务已完成，下步将巩固工作成效，做好常态化跟踪。",
    "任务已按期完成，下步将总结经验做法，做好宣传推广。",
]
NEXT_TEXTS = {
    "lagging": ["下步将加强部门协同，加快工作进度，确保完成年度目标。"],
    "in_progress": ["下季度继续抓好落实，按期完成年度目标。", "下步将加强部门协同，细化工作举措。"],
}
PROBLEM_TEXT = "受项目审批进度影响，部分工作进度滞后，已协调相关部门加快推进。"


@dataclass
class DemoReport:
    accounts: list[tuple[str, str, str]]
    submissions: int
    task_reports: int
    created: bool


def _rng(*parts: object) -> random.Random:
    # Seeded on purpose: the same demo figures on every run. Not security.
    return random.Random(zlib.crc32("|".join(map(str, parts)).encode()))  # nosec B311


def _round(value: float | Decimal, decimals: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@transaction.atomic
def demo_load() -> DemoReport:
    """Create the demo world. Idempotent: accounts, units and assignments are reused; the synthetic reports
    are generated only when no demo reports exist yet. Refused unless settings.IPCITY_DEMO_DATA (`make run`
    and the tests): its accounts, a superuser among them, share a password printed for anyone to read."""
    if not getattr(settings, "IPCITY_DEMO_DATA", False):
        raise ImproperlyConfigured(
            "演示数据含公开密码的演示账号（包括系统管理员），只能在开发环境装载，生产设置下拒绝运行。"
        )
    plans = {plan.slug: plan for plan in Plan.objects.filter(slug__in=[QUANZHOU, ZHENJIANG])}
    if len(plans) != 2:
        raise RuntimeError("请先运行 manage.py load_plans 装载工作方案。")
    # The plans' own years only: a 2027 quarter would be offered for plans that end in 2026.
    periods_ensure(
        years=range(min(p.start_year for p in plans.values()), max(p.end_year for p in plans.values()) + 1)
    )
    zone = plans[ZHENJIANG].region
    for name in ZHENJIANG_UNITS:
        Unit.objects.get_or_create(region=zone, name=name, defaults={"kind": Unit.Kind.GOV_DEPT})
    _assign_zhenjiang_tasks(plans[ZHENJIANG])
    units = {unit.name: unit for unit in Unit.objects.filter(region__in=_regions(plans))}
    for name, unit in units.items():
        if not unit.email and unit.kind != Unit.Kind.GROUP:
            unit.email = f"{_login(name) or 'unit'}@demo.ipcity.local"
            unit.save(update_fields=["email"])
    accounts = _accounts(units)
    _populations()
    assignments = _assignments(plans, units)
    _supervision(plans[QUANZHOU], units)
    if Submission.objects.filter(is_demo=True).exists():
        return DemoReport(accounts, 0, 0, created=False)
    reporters = {user.unit_id: user for user in User.objects.filter(role=User.Role.REPORTER)}
    office = User.objects.get(username="office")
    periods = {(p.year, p.quarter): p for p in Period.objects.all()}
    submissions = _submissions(assignments, reporters, office, periods)
    reports = _task_reports(plans, reporters, office, periods)
    bulk_create_with_history(submissions, Submission, batch_size=500, default_change_reason=REASON)
    bulk_create_with_history(reports, TaskReport, batch_size=500, default_change_reason=REASON)
    return DemoReport(accounts, len(submissions), len(reports), created=True)


def _supervision(plan: Plan, units: dict[str, Unit]) -> None:
    """Two 督办事项 and two 批示 of the leader's, found again by their natural keys (title and lead unit; the
    text and its author), so a second run adds nothing: one item waits for 市知识产权局's answer, one from
    the unit that missed 2026 Q3 has been answered and waits for the office's check."""
    from supervision.models import Instruction, Response, SupervisionItem

    leader = User.objects.get(username="leader")
    trademarks = Indicator.objects.get(plan=plan, code="trademarks")
    late = units[MISSING_UNIT]
    items = [
        dict(
            title="推进“商标有效注册量”指标进度", lead_unit=units["市知识产权局"], indicator=trademarks,
            action="分析商标有效注册量低于序时进度的原因，制定商标品牌培育帮扶措施。",
            criteria="提交帮扶措施文件，第四季度数据回到序时进度。", deadline=datetime.date(2027, 1, 15),
        ),
        dict(
            title=f"{late.name}2026年第三季度数据补报", lead_unit=late, unit=late, year=2026, quarter=3,
            action="说明未按时报送的原因，补报2026年第三季度数据。", criteria="补报数据经办公室审核通过。",
            deadline=datetime.date(2026, 12, 20),
        ),
    ]  # fmt: skip
    for fields in items:
        item, created = SupervisionItem.objects.get_or_create(
            title=fields.pop("title"),
            lead_unit=fields.pop("lead_unit"),
            defaults={**fields, "issued_by": leader},
        )
        if created and item.unit_id:
            reporter = User.objects.filter(unit=late, role=User.Role.REPORTER).first()
            if reporter is not None:
                Response.objects.create(
                    item=item, text="因系统账号交接延误未按时报送，已于12月补报。", answered_by=reporter
                )
                item.state = SupervisionItem.State.ANSWERED
                item.save(update_fields=["state"])
    for text, about in (
        (
            "商标注册量连续两个季度低于序时进度，请市知识产权局牵头分析原因、拿出措施。",
            {"indicator": trademarks},
        ),
        (f"{late.name}第三季度未报送，请办公室督促补报。", {"unit": late, "year": 2026, "quarter": 3}),
    ):
        Instruction.objects.get_or_create(author=leader, text=text, defaults=about)


def _regions(plans: dict[str, Plan]) -> list[Region]:
    regions = []
    for plan in plans.values():
        regions.append(plan.region)
        regions.extend(plan.region.children.all())
    return regions


def _login(unit_name: str) -> str | None:
    return QUANZHOU_REPORTERS.get(unit_name) or ZHENJIANG_UNITS.get(unit_name)


def _assign_zhenjiang_tasks(plan: Plan) -> None:
    units = {unit.name: unit for unit in Unit.objects.filter(region=plan.region)}
    for task in Task.objects.filter(section__plan=plan):
        if task.task_units.exists():
            continue  # the office already decided
        for position, name in enumerate(ZHENJIANG_TASK_UNITS[task.number]):
            row = TaskUnit(
                task=task,
                unit=units[name],
                position=position,
                role=TaskUnit.Role.LEAD if position == 0 else TaskUnit.Role.CO,
            )
            row._change_reason = REASON
            row.save()


def _accounts(units: dict[str, Unit]) -> list[tuple[str, str, str]]:
    accounts = []
    for username, role, last_name, _ in ROLE_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "last_name": last_name,
                "is_staff": role in (User.Role.ADMIN, User.Role.REVIEWER),
                "is_superuser": role == User.Role.ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        accounts.append((username, user.get_role_display(), last_name))
    notes = {
        MISSING_UNIT: "2026年第3季度未报送",
        RETURNED[0]: "2026年第3季度有一项被退回",
        **{name: "2026年第3季度待审核" for name in AWAITING_REVIEW},
    }
    for name in [*QUANZHOU_REPORTERS, *ZHENJIANG_UNITS]:
        unit = units.get(name)
        if unit is None:
            continue
        user, created = User.objects.get_or_create(
            username=_login(name),
            defaults={"role": User.Role.REPORTER, "unit": unit, "last_name": f"{name}填报员"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        accounts.append(
            (user.username, user.get_role_display(), f"{name}（{notes[name]}）" if name in notes else name)
        )
    return accounts


def _populations() -> None:
    for code, values in POPULATION.items():
        region = Region.objects.get(code=code)
        for year, value in zip((2024, 2025, 2026), values, strict=True):
            Population.objects.get_or_create(
                region=region,
                year=year,
                defaults={"value": Decimal(str(value)), "source": "演示数据（非统计数据）", "is_demo": True},
            )


def _assignments(plans: dict[str, Plan], units: dict[str, Unit]) -> list[tuple[Indicator, list[Unit]]]:
    result = []
    for slug, table in ((QUANZHOU, QUANZHOU_ASSIGNMENTS), (ZHENJIANG, ZHENJIANG_ASSIGNMENTS)):
        indicators = {indicator.code: indicator for indicator in Indicator.objects.filter(plan=plans[slug])}
        for code, names in table.items():
            indicator = indicators[code]
            chosen = [units[name] for name in names]
            for position, unit in enumerate(chosen):
                Assignment.objects.get_or_create(
                    indicator=indicator, unit=unit, defaults={"is_lead": position == 0}
                )
            result.append((indicator, chosen))
    return result


def _yearly_targets(indicator: Indicator) -> dict[int, Decimal]:
    """The figure each year aims at: the lower bound, the middle of a range; interpolated where missing."""
    known: dict[int, Decimal] = {}
    for target in indicator.targets.all():
        if target.comparator == Target.Comparator.BETWEEN:
            known[target.year] = (target.min + target.max) / 2
        elif target.min is not None:
            known[target.year] = target.min
    if not known:
        return {}
    years = [2024, 2025, 2026]
    if indicator.kind.counts_from_plan_start:
        anchor_year, anchor = max(known.items())
        for year in years:
            known.setdefault(year, anchor * (year - 2023) / (anchor_year - 2023))
    for year in years:
        known.setdefault(year, known.get(year - 1) or min(known.values()))
    return known


def _series(indicator: Indicator, unit_share: float, pace: float, rng: random.Random) -> list[dict]:
    """Quarterly figures for one unit, from 2024 Q1 to the latest demo quarter."""
    kind, decimals = indicator.kind, indicator.decimals
    targets = _yearly_targets(indicator)
    figures: list[dict] = []
    if kind.is_qualitative:
        done_from = rng.choice([(2024, 4), (2025, 3), (2025, 4), (2026, 2), (2027, 1)])
        return [{"done": (year, quarter) >= done_from} for year, quarter in QUARTERS]
    if kind.has_parts:
        for _ in QUARTERS:
            denominator = rng.randint(6, 14)
            rate = min(1.0, 0.9 * pace + rng.uniform(-0.03, 0.06))
            figures.append(
                {"numerator": Decimal(round(denominator * rate)), "denominator": Decimal(denominator)}
            )
        return figures
    if kind.reported_as_level:
        key = (
            f"{indicator.code}@zj"
            if indicator.plan.slug == ZHENJIANG and indicator.code in START
            else indicator.code
        )
        baseline = indicator.latest_baseline
        final = targets.get(2026) or Decimal(100)
        if kind.divides_by_population:
            final = final * Decimal(str(POPULATION["quanzhou"][2]))
        start = START.get(key) or (baseline.value if baseline else final * Decimal("0.6"))
        if baseline:  # the series resumes where the baseline leaves off, grown to the end of 2023
            start = baseline.value + (final - baseline.value) * Decimal(2) / Decimal(5)
        goal = final * Decimal(str(pace))
        # A per-capita indicator's decimals are those of the rate; units report whole counts (patents).
        reported = 0 if kind.divides_by_population else decimals
        for index, _ in enumerate(QUARTERS, start=1):
            value = start + (goal - start) * index / 12 + Decimal(str(rng.uniform(-0.004, 0.004))) * final
            figures.append({"value": _round(value * Decimal(str(unit_share)), reported)})
        return figures
    # flow and cumulative: quarterly amounts
    previous_total = Decimal(0)
    amounts_by_year: dict[int, Decimal] = {}
    for year in (2024, 2025, 2026):
        target = targets.get(year)
        if target is None:  # growth targets: a base amount that grows every year (demo)
            target = Decimal(8) * Decimal("1.12") ** (year - 2024)
        if kind.counts_from_plan_start:
            amounts_by_year[year], previous_total = target - previous_total, target
        else:
            amounts_by_year[year] = target
    # Quarterly amounts rounded on their running total, so that small yearly targets (1—2场) still add up
    # instead of every quarter rounding to 0.
    exact = reported = Decimal(0)
    for year, quarter in QUARTERS:
        if quarter == 1:
            exact = reported = Decimal(0)
        exact += amounts_by_year[year] * Decimal(str(pace * unit_share / 4 * rng.uniform(0.75, 1.25)))
        amount = max(Decimal(0), _round(exact, decimals) - reported)
        reported += amount
        figures.append({"value": amount})
    return figures


def _stamps(period: Period, late: bool, rng: random.Random) -> tuple[datetime.datetime, datetime.datetime]:
    day = period.due_on + datetime.timedelta(days=rng.randint(2, 12) if late else -rng.randint(1, 8))
    submitted = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, rng.randint(0, 59))))
    return submitted, submitted + datetime.timedelta(days=rng.randint(1, 5), hours=rng.randint(1, 6))


def _is_late(unit: Unit, year: int, quarter: int) -> bool:
    return _rng("late", unit.name, year, quarter).random() < 0.12


def _state(unit: Unit, year: int, quarter: int) -> str:
    if (year, quarter) == LAST and unit.name in AWAITING_REVIEW:
        return ReviewState.SUBMITTED
    return ReviewState.APPROVED


def _reviewed(
    unit: Unit, period: Period, reporters: dict[int, User], office: User, rng: random.Random
) -> dict[str, object]:
    """The review fields a demo figure and a demo task report share: sent by the unit's reporter (now and then
    late) and approved by the office, unless the unit's latest quarter still awaits review."""
    late = _is_late(unit, period.year, period.quarter)
    submitted_at, reviewed_at = _stamps(period, late, rng)
    state = _state(unit, period.year, period.quarter)
    approved = state == ReviewState.APPROVED
    return {
        "unit": unit,
        "period": period,
        "state": state,
        "submitted_at": submitted_at,
        "submitted_by": reporters.get(unit.pk),
        "is_late": late,
        "reviewed_at": reviewed_at if approved else None,
        "reviewed_by": office if approved else None,
        "is_demo": True,
    }


def _submissions(assignments, reporters, office, periods) -> list[Submission]:
    rows = []
    for index, (indicator, units) in enumerate(assignments):
        shares = [0.6, 0.25, 0.15][: len(units)] if len(units) > 1 else [1.0]
        for unit, share in zip(units, shares, strict=False):
            rng = _rng(indicator.plan.slug, indicator.code, unit.name)
            series = _series(indicator, share / sum(shares), PACE[index % len(PACE)], rng)
            for (year, quarter), figure in zip(QUARTERS, series, strict=True):
                if (year, quarter) == LAST and unit.name == MISSING_UNIT:
                    continue
                reviewed = _reviewed(unit, periods[(year, quarter)], reporters, office, rng)
                row = Submission(indicator=indicator, **reviewed, **figure)
                if (year, quarter) == LAST and (unit.name, indicator.code) == RETURNED[:2]:
                    # The unit's quarter is otherwise approved: the row keeps the office's review stamps.
                    row.state, row.return_reason = ReviewState.RETURNED, RETURNED[2]
                rows.append(row)
    return rows


def _task_reports(plans, reporters, office, periods) -> list[TaskReport]:
    rows = []
    task_units = (
        TaskUnit.objects.filter(task__section__plan__in=plans.values())
        .exclude(unit__kind=Unit.Kind.GROUP)
        .select_related("task__section__plan", "unit")
    )
    for task_unit in task_units:
        task, unit = task_unit.task, task_unit.unit
        rng = _rng("task", task.section.plan.slug, task.number, unit.name)
        lagging_from = rng.choice([(2025, 2), (2026, 1), (2026, 3), None, None, None])
        done_from = rng.choice([(2025, 4), (2026, 2), None, None])
        for year, quarter in QUARTERS:
            if (year, quarter) == LAST and unit.name == MISSING_UNIT:
                continue
            period = periods[(year, quarter)]
            if done_from and (year, quarter) >= done_from:
                status = TaskReport.Status.DONE
            elif lagging_from and (year, quarter) >= lagging_from and rng.random() < 0.6:
                status = TaskReport.Status.LAGGING
            else:
                status = TaskReport.Status.IN_PROGRESS
            reviewed = _reviewed(unit, period, reporters, office, rng)
            rows.append(
                TaskReport(
                    task=task,
                    status=status,
                    progress=rng.choice(PROGRESS_TEXTS).format(task=task.title),
                    problems=PROBLEM_TEXT if status == TaskReport.Status.LAGGING else "",
                    next_steps=rng.choice(
                        DONE_TEXTS if status == TaskReport.Status.DONE else NEXT_TEXTS[status.value]
                    ),
                    **reviewed,
                )
            )
    return rows
