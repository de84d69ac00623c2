"""simple-history's page of one past version: reverting is a change, so a model the admin may only view
cannot be reverted there."""

from __future__ import annotations

from decimal import Decimal

from indicators.models import Evidence
from plans.models import Population
from tests import factories


def test_a_read_only_record_cannot_be_reverted(admin_client_, desk):
    evidence = factories.EvidenceFactory(submission__indicator=desk.count, submission__unit=desk.unit_a)
    version = evidence.history.earliest()
    Evidence.objects.filter(pk=evidence.pk).update(name="改名.pdf")
    url = f"/admin/indicators/evidence/{evidence.pk}/history/{version.history_id}/"
    assert admin_client_.get(url).status_code == 200  # still viewable
    assert admin_client_.post(url, {"name": "佐证材料.pdf"}).status_code == 403
    evidence.refresh_from_db()
    assert evidence.name == "改名.pdf"


def test_a_changeable_record_still_can(admin_client_, unit_a):
    population = Population.objects.create(region=unit_a.region, year=2026, value=Decimal(900), is_demo=True)
    version = population.history.earliest()
    population.value = Decimal(950)
    population.save()
    url = f"/admin/plans/population/{population.pk}/history/{version.history_id}/"
    data = {"region": unit_a.region_id, "year": 2026, "value": "900", "is_demo": "on"}
    assert admin_client_.post(url, data).status_code == 302
    population.refresh_from_db()
    assert population.value == Decimal(900)
