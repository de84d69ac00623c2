"""A missed quarter is visible to its unit: 历史填报 says 未报送 (not zeros), the quarter chip is marked, and
the landing page (本季度填报) lists past quarters still missing and the exceptions the office granted. Time
stands at 2026-11-21 (the `desk`): 2026 Q3 was due on 10-10 and locked on 10-30, 2026 Q4 is due 2027-01-10."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from reporting.models import Period
from reporting.services.calendar import exception_grant
from tests import factories
from tests.page import seen

HISTORY = "/report/history/"
LANDING = "/report/"


@pytest.fixture
def small_client(client, small_unit):
    client.force_login(small_unit[1])
    return client


def sent(desk, unit, period, state="approved"):
    return factories.SubmissionFactory(
        indicator=desk.count, unit=unit, period=period, value=Decimal(60), state=state,
        submitted_at=datetime.datetime(period.year, 3 * period.quarter, 28, tzinfo=datetime.UTC),
    )  # fmt: skip


def history_rows(client) -> dict:
    page = seen(client.get(HISTORY))
    return {row["季度"].text: row for row in page.table("未报送").rows()}


def test_the_history_says_unsent_past_due_not_zeros(small_client, small_unit, desk):
    unit, _ = small_unit
    sent(desk, unit, factories.PeriodFactory(year=2026, quarter=2))
    rows = history_rows(small_client)
    missed = rows["2026年第三季度"]
    assert missed["未报送"].text == "未报送1项" and missed["未报送"].find_all(cls="missing-mark")
    assert missed["当前"].text.startswith("已锁定，1项未报送")  # not simply 已锁定
    assert rows["2026年第二季度"]["未报送"].text == "0"  # approved
    assert rows["2026年第二季度"]["当前"].text == "已锁定"
    assert rows["2026年第四季度"]["未报送"].text == "待报送1项"  # not due yet: not 未报送
    assert rows["2026年第四季度"]["当前"].text == "可填报"


def test_a_draft_is_not_a_report_and_a_returned_figure_is(small_client, small_unit, desk):
    unit, _ = small_unit
    sent(desk, unit, desk.locked, state="draft")
    sent(desk, unit, factories.PeriodFactory(year=2026, quarter=2), state="returned")
    rows = history_rows(small_client)
    assert rows["2026年第三季度"]["未报送"].text == "未报送1项"
    assert rows["2026年第二季度"]["未报送"].text == "0"  # sent; the office returned it (已退回 1)
    assert rows["2026年第二季度"]["已退回"].text == "1"


def test_another_units_report_does_not_count_for_this_one(small_client, small_unit, desk):
    sent(desk, desk.unit_b, desk.locked)  # 市科技局 reports 地理标志 too
    assert history_rows(small_client)["2026年第三季度"]["未报送"].text == "未报送1项"


def test_the_history_counts_tasks_owed_as_well_as_figures(reporter_a_client, desk):
    sent(desk, desk.unit_a, desk.locked)
    # 市知识产权局 owes 4 figures and 17 task reports a quarter of 2026; one figure came in
    assert history_rows(reporter_a_client)["2026年第三季度"]["未报送"].text == "未报送20项"


def test_the_quarter_chip_of_a_missed_quarter_is_marked(small_client, small_unit, desk):
    unit, _ = small_unit
    sent(desk, unit, factories.PeriodFactory(year=2026, quarter=2))
    nav = seen(small_client.get(LANDING)).find("nav", cls="period-switch")
    chips = {link.text.split()[0]: link for link in nav.find_all("a") if link.text.startswith("20")}
    assert chips["2026年第三季度"].find(cls="pill-missed").text == "未报送1项"
    assert not chips["2026年第二季度"].find_all(cls="pill-missed")
    assert not chips["2026年第四季度"].find_all(cls="pill-missed")  # not yet due
    assert chips["2026年第四季度"].find(cls="pill-open").text == "可填报"


def test_the_landing_page_lists_the_quarters_still_missing(small_client, small_unit, desk):
    unit, _ = small_unit
    for quarter in (1, 2):
        sent(desk, unit, factories.PeriodFactory(year=2026, quarter=quarter))
    box = seen(small_client.get(LANDING)).find(cls="missed-box")
    lines = [line.text for line in box.find_all("li", cls="missed-quarter")]
    assert lines[-1] == (
        "2026年第三季度：1项未报送（截止日期2026年10月10日），已锁定；如需补报，请联系办公室开放例外。"
    )
    assert not any(line.startswith(("2026年第二季度", "2026年第四季度")) for line in lines)
    assert lines[0].startswith("2024年第一季度")  # oldest first: every quarter never reported
    assert box.link("2026年第三季度") == "/report/?period=2026-3"


def test_the_landing_page_lists_the_exception_the_office_granted(small_client, small_unit, desk, reviewer):
    unit, _ = small_unit
    exception_grant(
        period=desk.locked, unit=unit, until=datetime.date(2026, 11, 30), reason="系统故障", by=reviewer
    )
    box = seen(small_client.get(LANDING)).find(cls="missed-box")
    (reopened,) = box.find_all("li", cls="reopened-quarter")
    assert reopened.text == "2026年第三季度：开放至2026年11月30日（系统故障）"
    missed = [line.text for line in box.find_all("li", cls="missed-quarter")]
    assert "2026年第三季度：1项未报送（截止日期2026年10月10日），现在仍可报送，将记为逾期报送。" in missed
    row = history_rows(small_client)["2026年第三季度"]
    assert row["当前"].text == "办公室开放补报至11月30日" and row["未报送"].text == "未报送1项"


def test_nothing_is_listed_once_every_owed_figure_is_in(small_client, small_unit, desk):
    unit, _ = small_unit
    for period in Period.objects.filter(due_on__lt=desk.today):
        sent(desk, unit, period, state="submitted")
    page = seen(small_client.get(LANDING))
    assert not page.find_all(cls="missed-box") and not page.find_all(cls="pill-missed")


def test_the_history_is_the_reporters_own(client, desk, reviewer, leader):
    for user in (reviewer, leader):
        client.force_login(user)
        assert client.get(HISTORY).status_code == 403


def test_the_pages_read_a_fixed_number_of_queries_whatever_the_history(
    reporter_a_client, desk, django_assert_max_num_queries
):
    def read() -> None:
        assert reporter_a_client.get(HISTORY).status_code == 200
        assert reporter_a_client.get(LANDING).status_code == 200

    with django_assert_max_num_queries(40) as captured:
        read()
    few = len(captured)
    for period in Period.objects.filter(due_on__lt=desk.today):
        sent(desk, desk.unit_a, period)
    with django_assert_max_num_queries(few):
        read()
