"""factory_boy factories. Every factory builds a consistent row with the fewest required choices."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import User
from indicators.models import Assignment, Baseline, Indicator, Population, Target
from plans.models import Plan, Region, Section, Task, TaskUnit, Unit
from progress.models import Progress, Timeliness
from reporting.models import Evidence, Period, Submission, TaskReport


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"region-{n}")
    name = factory.Sequence(lambda n: f"测试市{n}")
    level = Region.Level.CITY


class PopulationFactory(DjangoModelFactory):
    class Meta:
        model = Population

    region = factory.SubFactory(RegionFactory)
    year = 2024
    value = Decimal("100")
    is_demo = True


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = Unit.Kind.GOV_DEPT
    email = factory.Sequence(lambda n: f"unit{n}@example.cn")


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = Plan

    slug = factory.Sequence(lambda n: f"plan-{n}")
    title = factory.Sequence(lambda n: f"测试工作方案{n}")
    short_title = factory.Sequence(lambda n: f"测试方案{n}")
    region = factory.SubFactory(RegionFactory)
    issuer = "测试市人民政府"
    issued_on = datetime.date(2024, 2, 28)
    start_year = 2024
    end_year = 2026


class SectionFactory(DjangoModelFactory):
    class Meta:
        model = Section

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"板块{n}")


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    section = factory.SubFactory(SectionFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"任务{n}")
    text = "任务内容。"


class TaskUnitFactory(DjangoModelFactory):
    class Meta:
        model = TaskUnit

    task = factory.SubFactory(TaskFactory)
    unit = factory.SubFactory(UnitFactory)
    position = 0
    role = factory.LazyAttribute(lambda o: TaskUnit.Role.LEAD if o.position == 0 else TaskUnit.Role.CO)


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator

    plan = factory.SubFactory(PlanFactory)
    code = factory.Sequence(lambda n: f"indicator-{n}")
    name = factory.Sequence(lambda n: f"指标{n}")
    unit = "件"
    measure = Indicator.Measure.STOCK
    category = Indicator.Category.CREATION
    decimals = 0
    numerator_label = factory.LazyAttribute(lambda o: "分子" if o.measure == Indicator.Measure.RATIO else "")
    denominator_label = factory.LazyAttribute(
        lambda o: "分母" if o.measure == Indicator.Measure.RATIO else ""
    )


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = Target

    indicator = factory.SubFactory(IndicatorFactory)
    year = 2026
    comparator = Target.Comparator.GTE
    min = Decimal("100")
    max = None
    origin = Target.Origin.DOCUMENT
    source = "测试依据"


class BaselineFactory(DjangoModelFactory):
    class Meta:
        model = Baseline

    indicator = factory.SubFactory(IndicatorFactory)
    year = 2023
    value = Decimal("50")
    source = "测试基期"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.LEADER
    unit = None
    password = factory.PostGenerationMethodCall("set_password", "test-pass-123")

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class ReporterFactory(UserFactory):
    role = User.Role.REPORTER
    unit = factory.SubFactory(UnitFactory)


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = Assignment

    indicator = factory.SubFactory(IndicatorFactory)
    unit = factory.SubFactory(UnitFactory)


class PeriodFactory(DjangoModelFactory):
    """A quarter with the default calendar: opens on its first day, due the 10th day after it ends."""

    class Meta:
        model = Period
        django_get_or_create = ["year", "quarter"]

    year = 2024
    quarter = 1
    opens_on = factory.LazyAttribute(lambda o: datetime.date(o.year, 3 * o.quarter - 2, 1))
    due_on = factory.LazyAttribute(
        lambda o: (
            datetime.date(o.year + 1, 1, 10)
            if o.quarter == 4
            else datetime.date(o.year, 3 * o.quarter + 1, 10)
        )
    )
    locks_on = factory.LazyAttribute(lambda o: o.due_on + datetime.timedelta(days=20))


class SubmissionFactory(DjangoModelFactory):
    class Meta:
        model = Submission

    indicator = factory.SubFactory(IndicatorFactory)
    unit = factory.SubFactory(UnitFactory)
    period = factory.SubFactory(PeriodFactory)
    value = Decimal("10")
    state = Submission._meta.get_field("state").default


class TaskReportFactory(DjangoModelFactory):
    class Meta:
        model = TaskReport

    task = factory.SubFactory(TaskFactory)
    unit = factory.SubFactory(UnitFactory)
    period = factory.SubFactory(PeriodFactory)
    status = TaskReport.Status.IN_PROGRESS
    progress = "按计划推进。"


class ProgressFactory(DjangoModelFactory):
    """A roll-up row for the plan's own region; give `actual`, `status` and what the test reads."""

    class Meta:
        model = Progress

    indicator = factory.SubFactory(IndicatorFactory)
    plan = factory.LazyAttribute(lambda o: o.indicator.plan)
    region = factory.LazyAttribute(lambda o: o.plan.region)
    year = 2024
    quarter = 1
    actual = Decimal("10")
    target_min = Decimal("100")
    target_max = None
    completion = factory.LazyAttribute(
        lambda o: None if o.actual is None or not o.target_min else o.actual / o.target_min * 100
    )
    expected = None
    status = Progress.Status.ON_TRACK
    forecast = None
    needed_per_quarter = None
    computed_at = factory.LazyFunction(timezone.now)


class TimelinessFactory(DjangoModelFactory):
    class Meta:
        model = Timeliness

    plan = factory.SubFactory(PlanFactory)
    unit = factory.SubFactory(UnitFactory)
    period = factory.SubFactory(PeriodFactory)
    expected = 4
    submitted = factory.LazyAttribute(lambda o: 0 if o.status in ("missing", "not_due") else o.expected)
    on_time = factory.LazyAttribute(lambda o: o.submitted if o.status == "on_time" else 0)
    late = factory.LazyAttribute(lambda o: o.submitted if o.status == "late" else 0)
    returned = factory.LazyAttribute(lambda o: 1 if o.status == "returned" else 0)
    approved = factory.LazyAttribute(lambda o: o.submitted - o.returned)
    status = Timeliness.Status.ON_TIME
    computed_at = factory.LazyFunction(timezone.now)


class ExportJobFactory(DjangoModelFactory):
    class Meta:
        model = "exports.ExportJob"

    kind = "report"
    plan = factory.SubFactory(PlanFactory)
    year = 2025
    quarter = 3
    requested_by = factory.SubFactory(UserFactory)


class ApprovedSubmissionFactory(SubmissionFactory):
    """An approved figure, as the roll-up reads it: `ApprovedSubmissionFactory(indicator=…, unit=…,
    period__year=2025, period__quarter=2, value=…)`."""

    state = "approved"
    submitted_at = factory.LazyAttribute(
        lambda o: datetime.datetime.combine(o.period.due_on, datetime.time(9), tzinfo=datetime.UTC)
    )
    reviewed_at = factory.LazyAttribute(lambda o: o.submitted_at + datetime.timedelta(days=1))


class EvidenceFactory(DjangoModelFactory):
    """A small genuine PDF attached to a submission."""

    class Meta:
        model = Evidence

    submission = factory.SubFactory(SubmissionFactory)
    task_report = None
    file = factory.django.FileField(filename="evidence.pdf", data=b"%PDF-1.4\n%test\n")
    name = "佐证材料.pdf"
    size = 15
    uploaded_by = factory.SubFactory(UserFactory)


def api_key(user) -> str:
    """A fresh API token's key for `user` (the database keeps only its digest)."""
    from accounts.tokens import token_issue

    return token_issue(user=user)[1]
