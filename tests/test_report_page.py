"""本季度填报 (/report/): context, drafts, submit, checks, conflicts, the lock, past quarters."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.measures import Figure
from progress.models import Progress
from reporting.models import Submission, TaskReport
from reporting.services.calendar import exception_grant
from reporting.services.entry import FigureInput, figures_save
from tests import factories
from tests.page import seen
from tests.quarter import full_quarter, quarter_post

D = Decimal
URL = "/report/"
Q4 = "/report/?period=2026-4"


def approved(indicator, unit, year, quarter, **values):
    return factories.SubmissionFactory(
        indicator=indicator,
        unit=unit,
        period=factories.PeriodFactory(year=year, quarter=quarter),
        state="approved",
        submitted_at=datetime.datetime(year, 3 * quarter, 28, tzinfo=datetime.UTC),
        **values,
    )


def post(client, desk, url=Q4, **kwargs):
    return client.post(url, quarter_post(desk.unit_a, desk.period, desk.today, **kwargs))


def test_it_shows_every_assigned_indicator_and_task_with_its_context(reporter_a_client, desk, quanzhou):
    approved(desk.stock, desk.unit_a, 2026, 3, value=D("87.5"))
    approved(desk.stock, desk.unit_a, 2026, 2, value=D("86.25"))
    approved(desk.ratio, desk.unit_a, 2026, 3, value=None, numerator=D(9), denominator=D(12))
    Progress.objects.create(
        plan=quanzhou, indicator=desk.stock, region=quanzhou.region, year=2026, quarter=4, status="on_track",
        expected=D("87.9333"), computed_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    )  # fmt: skip
    response = reporter_a_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "2026年第四季度" in html and "可填报" in html
    for name in ("商标有效注册量", "地理标志", "国家知识产权强市建设示范城市", "按期结案率"):
        assert name in html
    assert "计量单位：万件" in html
    assert "87.5万件" in html and "86.25万件" in html  # the previous quarters
    assert "9/12（75%）" in html  # a ratio's previous quarter, with its rate
    assert "≥88万件" in html  # the year's target
    assert "87.93万件" in html  # the expected pace, at the indicator's precision, with its unit
    assert "按期结案的知识产权案件数" in html  # the ratio's two labels
    assert f"indicator-{desk.milestone.pk}-done" in seen(response).fields()  # the milestone's 完成情况
    cards = [card.text for card in seen(response).find_all("section", cls="task")]
    titles = list(desk.unit_a.tasks.values_list("title", flat=True))
    assert len(cards) == len(titles) == 17  # a card for every task the unit is named on
    assert all(any(title in card for card in cards) for title in titles)
    assert "强化金融力量支撑" in html and "牵头" in html
    assert "保存草稿" in html and "报送本季度" in html


def test_it_saves_drafts_without_submitting(reporter_a_client, desk):
    response = post(reporter_a_client, desk, figures={desk.stock: {"value": "88.1", "note": "含马德里商标"}})
    assert response.status_code == 302 and response["Location"] == Q4
    row = Submission.objects.get(unit=desk.unit_a, indicator=desk.stock, period=desk.period)
    assert (row.state, row.value, row.note) == ("draft", D("88.1"), "含马德里商标")
    assert "已保存草稿" in reporter_a_client.get(Q4).content.decode()
    assert not TaskReport.objects.exists()  # tasks left untouched make no draft


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"value": "八十八"}, "“八十八”不是数字，请只填写数字（不带单位）"),
        ({"value": "88万件"}, "不是数字"),
        ({"value": "-1"}, "数值不能为负数"),
        ({"value": "88.123"}, "数值最多保留2位小数"),
        ({"value": "1" + "0" * 17}, "数值过大"),
        ({"value": "3,5"}, "数值：“3,5”不是有效的数字：千位分隔符只能每三位一组（如 3,500）。"),
        ({"value": "8e1"}, "数值：“8e1”不是有效的数字：不能使用科学计数法（e），请写出完整的数字。"),
        ({"value": "1_0"}, "数值：“1_0”不是有效的数字：数字中不能有下划线。"),
        ({"value": "NaN"}, "数值：“NaN”不是有效的数字，请填写具体数值。"),
    ],
)
def test_a_bad_figure_is_not_saved_the_others_are_and_what_was_typed_is_kept(
    reporter_a_client, desk, parts, message
):
    figures = {desk.count: {"value": "70"}, desk.stock: parts}
    response = post(reporter_a_client, desk, figures=figures)
    page = seen(response)
    assert response.status_code == 200
    assert message in page.text
    assert "已保存为草稿（1项）：地理标志商标和地理标志保护产品总量。" in page.text
    assert (
        "以下1项未保存（其余项不受影响），请修正后再次保存。您填写的内容仍保留在下方：商标有效注册量"
        in page.text
    )
    kept = page.fields()  # the user's input, kept
    assert kept[f"indicator-{desk.stock.pk}-value"] == parts["value"]
    assert kept[f"indicator-{desk.count.pk}-value"] == "70"
    assert kept[f"indicator-{desk.count.pk}-version"] == "1"  # saving again does not conflict with itself
    [row] = Submission.objects.all()  # the good figure was written, the bad one not
    assert (row.indicator, row.value, row.state) == (desk.count, D(70), "draft")
    assert (
        reporter_a_client.post(
            Q4, {**kept, "action": "save", f"indicator-{desk.stock.pk}-value": "88"}
        ).status_code
        == 302
    )
    assert Submission.objects.get(indicator=desk.stock).value == D(88)
    assert Submission.objects.get(indicator=desk.count).version == 1  # unchanged: not rewritten


def test_it_names_every_bad_figure_of_the_page_at_once(reporter_a_client, desk):
    figures = {
        desk.count: {"value": "七十"},
        desk.stock: {"value": "-1"},
        desk.ratio: {"numerator": "11", "denominator": "10"},
    }
    html = post(reporter_a_client, desk, figures=figures).content.decode()
    assert "“七十”不是数字" in html and "数值不能为负数" in html and "不能大于" in html
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"numerator": "11", "denominator": "10"}, "不能大于"),
        ({"numerator": "9", "denominator": ""}, "请同时填写"),
        ({"numerator": "9.5", "denominator": "10"}, "应为整数"),
    ],
)
def test_a_ratio_needs_both_parts_within_bounds(reporter_a_client, desk, parts, message):
    response = post(reporter_a_client, desk, figures={desk.ratio: parts})
    assert message in response.content.decode()
    assert not Submission.objects.exists()


def test_it_submits_the_whole_quarter_at_once(reporter_a_client, desk):
    response = post(reporter_a_client, desk, figures=full_quarter(desk), fill_tasks=True, action="submit")
    assert response.status_code == 302
    assert set(Submission.objects.filter(period=desk.period).values_list("state", flat=True)) == {"submitted"}
    assert TaskReport.objects.filter(period=desk.period, state="submitted").count() == 17
    page = seen(reporter_a_client.get(Q4))
    assert "已报送4项指标、17项任务进展，等待办公室审核" in page.text
    assert "action" not in page.fields()  # nothing left to change: no buttons


def test_submit_names_everything_missing_keeps_the_drafts_and_submits_nothing(reporter_a_client, desk):
    response = post(reporter_a_client, desk, figures={desk.stock: {"value": "88"}}, action="submit")
    page = seen(response)
    assert "地理标志保护产品总量：尚未填写" in page.text and "尚未填写进展" in page.text
    assert "本季度未报送：" in page.text and "已保存为草稿（1项）：商标有效注册量。" in page.text
    assert page.fields()[f"indicator-{desk.stock.pk}-value"] == "88"
    assert Submission.objects.get().state == "draft"  # kept as a draft; nothing submitted


def test_a_lagging_task_needs_its_problems(reporter_a_client, desk):
    data = quarter_post(desk.unit_a, desk.period, desk.today, figures=full_quarter(desk), fill_tasks=True)
    task = desk.unit_a.tasks.order_by("pk").first()
    data.update({"action": "submit", f"task-{task.pk}-status": "lagging"})
    response = reporter_a_client.post(Q4, data)
    assert "推进滞后，请填写存在问题" in response.content.decode()
    assert not TaskReport.objects.filter(state="submitted").exists()
    data = {**seen(response).fields(), "action": "submit", f"task-{task.pk}-problems": "资金未到位"}
    assert reporter_a_client.post(Q4, data).status_code == 302


def test_a_stock_that_falls_needs_a_note_before_it_is_submitted(reporter_a_client, desk):
    approved(desk.count, desk.unit_a, 2026, 3, value=D(75))
    figures = full_quarter(desk)
    html = post(reporter_a_client, desk, figures=figures, fill_tasks=True, action="submit").content.decode()
    assert "存量指标较上期（75件）下降，请在说明中解释原因" in html
    figures[desk.count] = {"value": "70", "note": "2件地理标志被撤销"}
    assert post(reporter_a_client, desk, figures=figures, fill_tasks=True, action="submit").status_code == 302


def test_a_milestone_done_before_and_not_done_now_needs_a_note(reporter_a_client, desk):
    approved(desk.milestone, desk.unit_a, 2026, 3, value=None, done=True)
    figures = full_quarter(desk)
    figures[desk.milestone] = {"done": "0"}
    response = post(reporter_a_client, desk, figures=figures, fill_tasks=True, action="submit")
    assert "该事项上期填报为“已完成”，本期为“未完成”，请在说明中解释原因" in response.content.decode()
    assert not Submission.objects.filter(period=desk.period, state="submitted").exists()
    figures[desk.milestone] = {"done": "0", "note": "验收结论被撤销，正在整改"}
    assert post(reporter_a_client, desk, figures=figures, fill_tasks=True, action="submit").status_code == 302
    assert Submission.objects.get(period=desk.period, indicator=desk.milestone).state == "submitted"


def test_the_second_of_two_saves_gets_a_conflict_and_keeps_what_was_typed(
    reporter_a_client, desk, reporter_a
):
    figures_save(
        unit=desk.unit_a, period=desk.period, by=reporter_a,
        inputs=[FigureInput(desk.stock.pk, Figure(value=D(80)))],
    )  # fmt: skip
    stale = quarter_post(desk.unit_a, desk.period, desk.today, figures={desk.stock: {"value": "88.5"}})
    colleague = factories.UserFactory(role="reporter", unit=desk.unit_a, username="colleague")
    figures_save(
        unit=desk.unit_a, period=desk.period, by=colleague,
        inputs=[FigureInput(desk.stock.pk, Figure(value=D(81)), version=1)],
    )  # fmt: skip

    response = reporter_a_client.post(Q4, stale)
    html = response.content.decode()
    assert response.status_code == 200
    assert "已被他人" in html and "本次保存未生效" in html
    assert "有冲突" in html and "他人已保存为“81万件”" in html
    assert seen(response).fields()[f"indicator-{desk.stock.pk}-value"] == "88.5"  # what this user typed
    assert Submission.objects.get(indicator=desk.stock).value == D(81)  # nothing overwritten

    stale[f"indicator-{desk.stock.pk}-version"] = 2  # the page now carries the version it showed
    assert reporter_a_client.post(Q4, stale).status_code == 302
    assert Submission.objects.get(indicator=desk.stock).value == D("88.5")


def test_a_conflict_on_one_figure_leaves_the_others_saved(reporter_a_client, desk, reporter_a):
    figures = {desk.stock: {"value": "88.5"}, desk.count: {"value": "70"}}
    stale = quarter_post(desk.unit_a, desk.period, desk.today, figures=figures)
    colleague = factories.UserFactory(role="reporter", unit=desk.unit_a, username="colleague")
    figures_save(
        unit=desk.unit_a, period=desk.period, by=colleague,
        inputs=[FigureInput(desk.stock.pk, Figure(value=D(81)))],
    )  # fmt: skip
    page = seen(reporter_a_client.post(Q4, stale))
    assert "已保存为草稿（1项）：地理标志商标和地理标志保护产品总量。" in page.text
    assert "以下1项未保存" in page.text and "有冲突" in page.text and "他人已保存为“81万件”" in page.text
    assert Submission.objects.get(indicator=desk.stock).value == D(81)  # theirs, not overwritten
    assert Submission.objects.get(indicator=desk.count).value == D(70)  # mine, beside it, kept
    assert page.fields()[f"indicator-{desk.stock.pk}-value"] == "88.5"


def test_a_figure_someone_else_created_meanwhile_is_a_conflict_too(reporter_a_client, desk):
    blank = quarter_post(desk.unit_a, desk.period, desk.today, figures={desk.stock: {"value": "88"}})
    colleague = factories.UserFactory(role="reporter", unit=desk.unit_a, username="colleague")
    figures_save(
        unit=desk.unit_a, period=desk.period, by=colleague,
        inputs=[FigureInput(desk.stock.pk, Figure(value=D(81)))],
    )  # fmt: skip
    assert "已被他人" in reporter_a_client.post(Q4, blank).content.decode()
    assert Submission.objects.get(indicator=desk.stock).value == D(81)


def test_a_past_quarter_is_read_only(reporter_a_client, desk):
    approved(desk.stock, desk.unit_a, 2026, 2, value=D("86.2"), note="按商标局数据")
    page = seen(reporter_a_client.get("/report/?period=2026-2"))
    assert "86.2万件" in page.text and "按商标局数据" in page.text and "锁定，以下内容只读" in page.text
    assert f"indicator-{desk.stock.pk}-value" not in page.fields() and "保存草稿" not in page.text
    response = reporter_a_client.post("/report/?period=2026-2", {"action": "save"})
    assert response.status_code == 409 and "已没有可修改的内容" in seen(response).text


def test_a_save_into_a_quarter_that_locked_meanwhile_keeps_what_was_typed(reporter_a_client, desk):
    """The page was loaded before the lock; its save must not look like a success nor lose the typing."""
    key, task = f"indicator-{desk.stock.pk}", f"task-{desk.unit_a.tasks.first().pk}"
    data = {
        "action": "submit", f"{key}-version": 0, f"{key}-value": "88.5", f"{key}-note": "含马德里",
        f"{task}-version": 0, f"{task}-status": "in_progress", f"{task}-progress": "已召开推进会",
    }  # fmt: skip
    response = reporter_a_client.post("/report/?period=2026-3", data)
    assert response.status_code == 409
    page = seen(response)
    assert "2026年第三季度已没有可修改的内容" in page.text and "本次提交未保存" in page.text
    assert "联系办公室开放例外" in page.text and "保存草稿" not in page.text and "报送本季度" not in page.text
    fields = page.fields()
    assert (fields[f"{key}-value"], fields[f"{key}-note"]) == ("88.5", "含马德里")
    assert (fields[f"{task}-status"], fields[f"{task}-progress"]) == ("in_progress", "已召开推进会")
    assert f"indicator-{desk.count.pk}-value" not in fields  # rows not sent stay read-only
    assert not Submission.objects.exists() and not TaskReport.objects.exists()


def test_a_returned_figure_in_a_locked_quarter_stays_correctable(client, desk, small_unit, reviewer):
    unit, user = small_unit
    row = factories.SubmissionFactory(
        indicator=desk.count, unit=unit, period=desk.locked, value=D(60), state="returned",
        submitted_at=datetime.datetime(2026, 10, 5, tzinfo=datetime.UTC), return_reason="与上期口径不一致",
    )  # fmt: skip
    client.force_login(user)
    page = seen(client.get(URL))  # the quarter that needs action opens first
    assert (
        "2026年第三季度" in page.text and "办公室退回了1项" in page.text and "与上期口径不一致" in page.text
    )
    assert f"indicator-{desk.count.pk}-value" in page.fields()
    data = quarter_post(unit, desk.locked, desk.today, figures={desk.count: {"value": "61"}}, action="submit")
    assert client.post("/report/?period=2026-3", data).status_code == 302
    row.refresh_from_db()
    assert (row.state, row.value, row.return_reason) == ("submitted", D(61), "")


def test_a_locked_quarter_takes_figures_again_once_the_office_grants_an_exception(
    client, desk, small_unit, reviewer
):
    unit, user = small_unit
    client.force_login(user)
    html = client.get("/report/?period=2026-3").content.decode()
    assert "已于2026年10月30日锁定" in html and "保存草稿" not in html
    exception_grant(
        period=desk.locked, unit=unit, until=datetime.date(2026, 11, 30), reason="系统故障", by=reviewer
    )
    html = client.get(URL).content.decode()
    assert "例外开放" in html and "至2026年11月30日" in html and "记为逾期报送" in html
    data = quarter_post(unit, desk.locked, desk.today, figures={desk.count: {"value": "61"}}, action="submit")
    client.post("/report/?period=2026-3", data)
    assert Submission.objects.get(unit=unit).is_late


def test_it_opens_the_current_quarter_when_nothing_needs_action(reporter_a_client, desk):
    assert seen(reporter_a_client.get(URL)).find("h2").text == "2026年第四季度"


@pytest.mark.parametrize(
    ("period", "status"), [("2026", 400), ("abc", 400), ("2026-9", 400), ("2099-1", 404)]
)
def test_a_malformed_period_is_a_400_and_an_unknown_one_a_404(reporter_a_client, desk, period, status):
    assert reporter_a_client.get(f"{URL}?period={period}").status_code == status


def test_only_reporters_fill_a_quarter(client, desk, reviewer, leader, admin_user):
    assert client.get(URL)["Location"].startswith("/login/")
    for user in (reviewer, leader, admin_user):
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 403 and "您的角色无权访问此页面" in response.content.decode()
        assert client.post(URL, {"action": "save"}).status_code == 403


def test_it_reads_a_fixed_number_of_queries_whatever_the_history(reporter_a_client, desk):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert reporter_a_client.get(Q4).status_code == 200
        return len(queries)

    approved(desk.stock, desk.unit_a, 2026, 3, value=D(87))
    few = count()
    for year, quarter in [(y, q) for y in (2024, 2025) for q in (1, 2, 3, 4)] + [(2026, 1), (2026, 2)]:
        for indicator in (desk.stock, desk.count):
            approved(indicator, desk.unit_a, year, quarter, value=D(50 + quarter))
    assert count() == few
    assert few <= 21  # the top bar's bell (unread notifications) is one of them


def test_the_history_page_lists_the_units_quarters(reporter_a_client, desk):
    approved(desk.stock, desk.unit_a, 2026, 2, value=D(86), is_late=True)
    page = seen(reporter_a_client.get("/report/history/"))
    quarters = {row["季度"].text: row for row in page.table("逾期报送").rows()}
    assert {"2026年第二季度", "2024年第一季度"} <= set(quarters)
    late = quarters["2026年第二季度"]["逾期报送"]
    assert late.text == "1" and late.find_all(cls="late-mark")  # shown in the warning colour


def test_a_save_without_the_hidden_version_is_refused_and_changes_nothing(reporter_a_client, desk):
    row = factories.SubmissionFactory(indicator=desk.stock, unit=desk.unit_a, period=desk.period, value=D(80))
    data = quarter_post(desk.unit_a, desk.period, desk.today, figures={desk.stock: {"value": "99"}})
    del data[f"indicator-{desk.stock.pk}-version"]
    response = reporter_a_client.post(Q4, data)
    assert response.status_code == 200 and "页面缺少版本信息，本次保存未生效" in response.content.decode()
    row.refresh_from_db()
    assert row.value == D(80) and row.version == 1
