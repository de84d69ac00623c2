"""The database itself refuses rows that break the domain's rules (Meta.constraints), not only the forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from indicators.models import Target
from plans.models import Plan, TaskUnit
from reporting.models import Submission
from tests import factories


def _refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    ("comparator", "low", "high", "ok"),
    [
        ("gte", 1, None, True),
        ("gte", None, None, False),
        ("gte", 1, 2, False),
        ("gt", 6, None, True),
        ("lte", None, 5, True),
        ("lte", 5, None, False),
        ("between", 1, 2, True),
        ("between", 2, 1, False),
        ("between", 1, None, False),
        ("growth", None, None, True),
        ("growth", 1, None, False),
        ("done", None, None, True),
    ],
)
def test_targets_bounds_match_their_comparator(db, comparator, low, high, ok):
    indicator = factories.IndicatorFactory()
    refused = _refused(
        lambda: Target.objects.create(
            indicator=indicator,
            year=2025,
            comparator=comparator,
            min=low,
            max=high,
            origin="office",
            source="x",
        )
    )
    assert refused is not ok


def test_a_target_needs_its_source(db):
    assert _refused(lambda: factories.TargetFactory(source=""))


def test_one_target_per_indicator_and_year(db):
    target = factories.TargetFactory()
    assert _refused(lambda: factories.TargetFactory(indicator=target.indicator, year=target.year))


def test_the_first_unit_of_a_task_is_its_lead(db):
    task = factories.TaskFactory()
    assert _refused(
        lambda: TaskUnit.objects.create(task=task, unit=factories.UnitFactory(), position=0, role="co")
    )
    assert _refused(
        lambda: TaskUnit.objects.create(task=task, unit=factories.UnitFactory(), position=1, role="lead")
    )
    lead = factories.TaskUnitFactory(task=task, position=0)
    assert _refused(lambda: TaskUnit.objects.create(task=task, unit=lead.unit, position=1, role="co"))


def test_plan_years_and_thresholds_are_ordered(db):
    assert _refused(lambda: factories.PlanFactory(start_year=2026, end_year=2024))
    assert _refused(lambda: factories.PlanFactory(at_risk_from=30, behind_from=10))
    assert isinstance(factories.PlanFactory(), Plan)


def test_a_ratio_indicator_names_its_numerator_and_denominator(db):
    assert _refused(
        lambda: factories.IndicatorFactory(measure="ratio", numerator_label="", denominator_label="")
    )


def test_submissions_are_non_negative_and_within_their_denominator(db):
    assert _refused(lambda: factories.SubmissionFactory(value=Decimal("-1")))
    assert _refused(lambda: factories.SubmissionFactory(value=None, numerator=5, denominator=4))
    factories.SubmissionFactory(value=None, numerator=4, denominator=4)


def test_one_submission_per_indicator_unit_and_quarter(db):
    first = factories.SubmissionFactory()
    assert _refused(
        lambda: Submission.objects.create(
            indicator=first.indicator, unit=first.unit, period=first.period, value=1
        )
    )


def test_a_reporter_belongs_to_a_unit_and_only_a_reporter_does(db):
    assert _refused(lambda: factories.UserFactory(role="reporter", unit=None))
    assert _refused(lambda: factories.UserFactory(role="leader", unit=factories.UnitFactory()))
    factories.ReporterFactory()


def test_populations_are_positive(db):
    assert _refused(lambda: factories.PopulationFactory(value=0))
