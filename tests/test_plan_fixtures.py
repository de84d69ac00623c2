"""The two plans as encoded, checked against the source documents in fixtures/sources/.

The expectations below were typed from the documents, independently of the YAML fixtures.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from indicators.models import Baseline, Indicator, Target
from indicators.services import plans_load_all
from ipcity.figures import plain
from plans.models import Plan, Region, Section, Task, TaskUnit, Unit
from plans.services import split_unit_list

SOURCES = Path(settings.BASE_DIR) / "fixtures" / "sources"
QZ = "quanzhou-2024-2026"
ZJ = "zhenjiang-edz-2024-2026"


def _document(*names: str) -> str:
    return re.sub(r"\s+", "", "".join((SOURCES / name).read_text(encoding="utf-8") for name in names))


DOCUMENTS = {
    QZ: _document("001_d7ff711454ad8966.txt", "003_fef7b7a737b07aaf.txt"),
    ZJ: _document("004_41b59300563f89c1.txt"),
}

# (section, task) → units in document order, first is the lead. From each "责任单位:" line of 001.
QUANZHOU_UNITS = {
    (1, 1): ["市知识产权局", "市科技局", "市工信局", "市教育局"],
    (1, 2): ["市工信局", "市科技局", "市知识产权局", "市海洋渔业局"],
    (1, 3): ["市知识产权局", "市科技局", "市发改委", "市工信局", "市文旅局", "市农业农村局", "市林业局"],
    (2, 1): ["市知识产权局", "市金融监管局", "中国人民银行泉州市分行", "国家金融监督管理总局泉州监管分局"],
    (2, 2): ["市知识产权局", "市知识产权工作领导小组各成员单位"],
    (2, 3): ["市知识产权局", "市科技局", "市工信局"],
    (2, 4): ["市知识产权局", "市文旅局", "市农业农村局", "市工信局"],
    (2, 5): ["市知识产权局", "市农业农村局", "市海洋渔业局"],
    (3, 1): ["市知识产权局", "市版权局", "泉州海关"],
    (3, 2): ["市中级人民法院", "市人民检察院", "市公安局", "市司法局"],
    (3, 3): ["市知识产权局", "市公安局", "市司法局", "市中级人民法院", "市人民检察院"],
    (4, 1): ["市知识产权局", "市科技局", "市教育局", "市工信局"],
    (4, 2): ["市知识产权局", "市科技局", "市工信局", "晋江市人民政府", "丰泽区人民政府"],
    (4, 3): ["市知识产权局", "市科技局", "市工信局"],
    (4, 4): ["市知识产权局", "市科技局", "市工信局"],
    (5, 1): ["市知识产权局", "市人社局", "市教育局"],
    (5, 2): ["市知识产权局"],
    (5, 3): ["市委宣传部", "市知识产权局", "市人社局", "市教育局"],
}

QUANZHOU_TASKS = {
    1: ("推动高质量知识产权创造", ["树导向", "育主体", "建体系"]),
    2: (
        "实现高效益知识产权运用",
        ["强化金融力量支撑", "用好新型政策工具", "升级运营服务体系", "培育特色地标项目", "巩固提升商标优势"],
    ),
    3: ("强化高水平知识产权保护", ["强化行政保护", "深化司法保护", "提升保护能力"]),
    4: (
        "深化高标准知识产权服务",
        ["拓展公共服务大体系", "打造服务供给综合体", "营造服务市场新秩序", "推动市场服务多极化"],
    ),
    5: ("打造高水准知识产权发展环境", ["大力培养人才", "深化合作交流", "加强宣传培训"]),
}

ZHENJIANG_TASKS = {
    1: ("完善知识产权管理体系", {1: "健全工作机制", 2: "优化知识产权政策体系"}),
    2: (
        "实施知识产权创造提升工程",
        {3: "推进产学研协同创新", 4: "实施高价值专利培育计划", 5: "实施品牌化、标准化建设"},
    ),
    3: (
        "实施知识产权转化运用工程",
        {
            6: "推进镇江市知识产权运营中心建设",
            7: "提升创新主体知识产权运用能力",
            8: "推进产业知识产权运营",
            9: "优化知识产权运营服务体系",
        },
    ),
    4: (
        "实施知识产权保护强化工程",
        {10: "完善知识产权自我保护机制", 11: "创新知识产权保护体制建设", 12: "强化知识产权执法维权"},
    ),
    5: ("实施知识产权服务能力升级工程", {13: "优化知识产权服务平台建设", 14: "壮大知识产权品牌服务机构"}),
    6: (
        "实施知识产权人才培育工程",
        {
            15: "构建多层次知识产权人才培养支撑体系",
            16: "发挥知识产权人才培训培养平台作用",
            17: "浓厚知识产权社会氛围",
        },
    ),
}

D = Decimal
# code → {year: (comparator, min, max, origin)}
QUANZHOU_TARGETS = {
    "hv-invention-patents-per-10k": {2026: ("gt", D("6"), None, "document")},
    "trademarks": {
        2024: ("gte", D("78.51"), None, "derived"),
        2025: ("gte", D("83.26"), None, "derived"),
        2026: ("gte", D("88"), None, "document"),
    },
    # No baseline counts what these targets count (tests/test_definitions.py): no derived milestones.
    "geographical-indications": {2026: ("gte", D("68"), None, "document")},
    "copyright-registrations": {2026: ("gte", D("70"), None, "document")},
    "advantage-enterprises": {2026: ("gt", D("360"), None, "document")},
    "service-outlets": {2026: ("gt", D("18"), None, "document")},
    "protection-centers": {2026: ("gte", D("3"), None, "document")},
    "patent-pledge-financing": {year: ("growth", None, None, "document") for year in (2024, 2025, 2026)},
    "strong-counties": {2026: ("done", None, None, "document")},
    "demonstration-city": {2026: ("done", None, None, "document")},
}

ZHENJIANG_TARGETS = {
    "hv-invention-patents": {
        y: ("gte", D(v), None, "document") for y, v in ((2024, 750), (2025, 800), (2026, 850))
    },
    "new-trademarks": {
        y: ("gte", D(v), None, "document") for y, v in ((2024, 150), (2025, 350), (2026, 500))
    },
    "enforcement-actions": {
        2024: ("between", D("1"), D("2"), "document"),
        2026: ("between", D("1"), D("2"), "document"),
    },
    "enforcement-actions-total": {2026: ("gte", D("3"), None, "document")},
    "infringement-cases": {
        y: ("gte", D(v), None, "document") for y, v in ((2024, 25), (2025, 50), (2026, 76))
    },
    "case-closure-rate": {y: ("gte", D("90"), None, "document") for y in (2024, 2025, 2026)},
    "pledge-financing": {y: ("gte", D(v), None, "document") for y, v in ((2024, 2), (2025, 4), (2026, 5))},
    "pledge-matchmaking-events": {y: ("between", D("1"), D("2"), "document") for y in (2024, 2025, 2026)},
    "patent-licensing-transfer": {
        y: ("gte", D(v), None, "document") for y, v in ((2024, 150), (2025, 350), (2026, 500))
    },
    "standard-certified-enterprises": {
        y: ("gte", D(v), None, "document") for y, v in ((2024, 6), (2025, 13), (2026, 20))
    },
    "standard-full-coverage": {2026: ("done", None, None, "document")},
    "new-advantage-enterprises": {
        2024: ("between", D("1"), D("2"), "document"),
        2025: ("between", D("3"), D("4"), "document"),
    },
    "advantage-enterprises": {2026: ("gte", D("13"), None, "document")},
    "service-institutions": {2026: ("gte", D("55"), None, "document")},
    "new-service-institutions": {2025: ("gte", D("5"), None, "document")},
    "service-filing-system": {2025: ("done", None, None, "document")},
    "new-ip-talent": {2026: ("gte", D("200"), None, "document")},
    "trainees": {y: ("gte", D(v), None, "document") for y, v in ((2024, 400), (2025, 800), (2026, 1200))},
    "training-sessions": {2024: ("between", D("4"), D("5"), "document")},
    "annual-training-plan": {y: ("done", None, None, "document") for y in (2024, 2025, 2026)},
    "topic-meetings": {
        2024: ("between", D("1"), D("2"), "document"),
        2025: ("gte", D("2"), None, "document"),
        2026: ("between", D("1"), D("2"), "document"),
    },
    "annual-work-points": {y: ("done", None, None, "document") for y in (2024, 2025, 2026)},
    "ip-alliance": {y: ("done", None, None, "document") for y in (2025, 2026)},
}

MEASURES = {
    QZ: {
        "hv-invention-patents-per-10k": "per_capita",
        "trademarks": "stock",
        "copyright-registrations": "stock",
        "patent-pledge-financing": "flow",
        "strong-counties": "milestone",
    },
    ZJ: {
        "hv-invention-patents": "stock",
        "new-trademarks": "cumulative",
        "case-closure-rate": "ratio",
        "pledge-financing": "cumulative",
        "enforcement-actions": "flow",
        "enforcement-actions-total": "cumulative",
        "advantage-enterprises": "stock",
        "new-advantage-enterprises": "cumulative",
    },
}


def _targets(slug: str) -> dict[str, dict[int, tuple]]:
    found: dict[str, dict[int, tuple]] = {}
    for target in Target.objects.filter(indicator__plan__slug=slug).select_related("indicator"):
        found.setdefault(target.indicator.code, {})[target.year] = (
            target.comparator,
            target.min,
            target.max,
            target.origin,
        )
    return found


def test_it_counts_sections_and_tasks(plans):
    assert Section.objects.filter(plan__slug=QZ).count() == 5
    assert Task.objects.filter(section__plan__slug=QZ).count() == 18
    assert Section.objects.filter(plan__slug=ZJ).count() == 6
    assert Task.objects.filter(section__plan__slug=ZJ).count() == 17


def test_it_keeps_plan_metadata(quanzhou, zhenjiang):
    assert quanzhou.issuer == "泉州市人民政府"
    assert str(quanzhou.issued_on) == "2024-02-28"
    assert (quanzhou.start_year, quanzhou.end_year) == (2024, 2026)
    assert quanzhou.region.name == "泉州市" and quanzhou.region.parent.name == "福建省"
    assert quanzhou.title == "泉州市国家知识产权强市建设示范城市工作方案(2024-2026年)"
    assert (zhenjiang.start_year, zhenjiang.end_year) == (2024, 2026)
    assert zhenjiang.region.name == "镇江经济技术开发区" and zhenjiang.region.level == Region.Level.ZONE
    assert zhenjiang.issued_on is None  # the document states no date of issue


@pytest.mark.parametrize(("slug", "tasks"), [(QZ, QUANZHOU_TASKS), (ZJ, ZHENJIANG_TASKS)])
def test_it_keeps_sections_and_task_titles_in_document_order(plans, slug, tasks):
    for number, (title, task_titles) in tasks.items():
        section = Section.objects.get(plan__slug=slug, number=number)
        assert section.title == title
        found = dict(section.tasks.order_by("number").values_list("number", "title"))
        expected = task_titles if isinstance(task_titles, dict) else dict(enumerate(task_titles, start=1))
        assert found == expected


@pytest.mark.parametrize("slug", [QZ, ZJ])
def test_it_keeps_every_task_text_verbatim(plans, slug):
    for task in Task.objects.filter(section__plan__slug=slug):
        assert len(task.text) > 40
        assert re.sub(r"\s+", "", task.text) in DOCUMENTS[slug], task.title


def test_it_splits_every_quanzhou_unit_list(quanzhou):
    found = {}
    for tu in TaskUnit.objects.filter(task__section__plan=quanzhou).select_related("task__section", "unit"):
        found.setdefault((tu.task.section.number, tu.task.number), []).append(
            (tu.position, tu.unit.name, tu.role)
        )
    assert set(found) == set(QUANZHOU_UNITS)
    for key, names in QUANZHOU_UNITS.items():
        rows = sorted(found[key])
        assert [name for _, name, _ in rows] == names, key
        assert [role for _, _, role in rows] == ["lead"] + ["co"] * (len(names) - 1)


def test_it_keeps_the_responsible_line_as_written(quanzhou):
    task = Task.objects.get(section__plan=quanzhou, section__number=2, number=1)
    assert (
        task.responsible_text
        == "市知识产权局、金融监管局,中国人民银行泉州市分行,国家金融监督管理总局泉州监管分局"
    )


def test_it_gives_units_their_kinds(quanzhou):
    kinds = dict(Unit.objects.values_list("name", "kind"))
    assert kinds["中国人民银行泉州市分行"] == "bank"
    assert kinds["国家金融监督管理总局泉州监管分局"] == "financial_regulator"
    assert kinds["市知识产权工作领导小组各成员单位"] == "group"
    assert kinds["市中级人民法院"] == "court"
    assert kinds["市人民检察院"] == "procuratorate"
    assert kinds["泉州海关"] == "customs"
    assert kinds["晋江市人民政府"] == "local_gov"
    assert kinds["市委宣传部"] == "party_dept"
    assert Unit.objects.get(name="丰泽区人民政府").region.name == "丰泽区"
    assert Unit.objects.count() == 23


def test_it_leaves_zhenjiang_task_units_to_the_office(zhenjiang):
    assert not TaskUnit.objects.filter(task__section__plan=zhenjiang).exists()
    assert not Task.objects.filter(section__plan=zhenjiang).exclude(responsible_text="").exists()


@pytest.mark.parametrize(("slug", "expected"), [(QZ, QUANZHOU_TARGETS), (ZJ, ZHENJIANG_TARGETS)])
def test_it_encodes_every_target_and_milestone(plans, slug, expected):
    assert _targets(slug) == expected


@pytest.mark.parametrize("slug", [QZ, ZJ])
def test_every_document_target_quotes_its_sentence_with_its_figures(plans, slug):
    document = DOCUMENTS[slug]
    targets = Target.objects.filter(indicator__plan__slug=slug, origin="document")
    assert targets.exists()
    for target in targets:
        for line in target.source.splitlines():
            sentence = re.sub(r"\s+", "", line)
            assert sentence in document, (target, line)
            for bound in (target.min, target.max):
                if bound is not None:
                    assert plain(bound) in sentence, (target, line)


def test_derived_milestones_are_marked_and_explained(quanzhou):
    derived = Target.objects.filter(indicator__plan=quanzhou, origin="derived")
    assert {(t.indicator.code, t.year) for t in derived} == {
        (code, year) for code in ("trademarks",) for year in (2024, 2025)
    }
    trademarks = derived.get(indicator__code="trademarks", year=2024)
    assert trademarks.source.startswith("推算：由2021年基期值64.28万件至2026年目标88万件按直线推算")


def test_it_keeps_quanzhou_baselines_with_their_sentences(quanzhou):
    baselines = {b.indicator.code: b for b in Baseline.objects.filter(indicator__plan=quanzhou)}
    assert {code: (b.year, b.value) for code, b in baselines.items()} == {"trademarks": (2021, D("64.28"))}
    for baseline in baselines.values():
        assert re.sub(r"\s+", "", baseline.source) in DOCUMENTS[QZ]


@pytest.mark.parametrize("slug", [QZ, ZJ])
def test_it_gives_indicators_their_measures(plans, slug):
    found = dict(Indicator.objects.filter(plan__slug=slug).values_list("code", "measure"))
    for code, measure in MEASURES[slug].items():
        assert found[code] == measure, code


def test_the_yearly_and_total_enforcement_actions_are_reported_once(zhenjiang):
    total = Indicator.objects.get(plan=zhenjiang, code="enforcement-actions-total")
    assert total.computed_from.code == "enforcement-actions"


def test_case_closure_is_a_ratio_with_both_parts(zhenjiang):
    rate = Indicator.objects.get(plan=zhenjiang, code="case-closure-rate")
    assert rate.measure == "ratio" and rate.unit == "%"
    assert rate.numerator_label and rate.denominator_label


def _snapshot() -> list:
    rows = []
    for model in (Region, Unit, Plan, Section, Task, TaskUnit, Indicator, Target, Baseline):
        rows.append((model.__name__, sorted(model.objects.values_list(), key=str)))
    return rows


def test_load_plans_twice_changes_nothing(plans):
    before = _snapshot()
    history = Target.history.count(), TaskUnit.history.count()
    report = plans_load_all()
    assert not report.changed
    assert _snapshot() == before
    assert (Target.history.count(), TaskUnit.history.count()) == history


def test_load_plans_keeps_office_targets_and_office_task_units(zhenjiang, reviewer):
    office = Target.objects.get(
        indicator__plan=zhenjiang, indicator__code="new-service-institutions", year=2025
    )
    Target.objects.filter(pk=office.pk).update(min=8, origin="office", source="办公室会议确定")
    task = Task.objects.get(section__plan=zhenjiang, number=1)
    unit = Unit.objects.create(region=zhenjiang.region, name="经开区科技局")
    TaskUnit.objects.create(task=task, unit=unit, position=0, role="lead")

    report = plans_load_all()

    office.refresh_from_db()
    assert (office.min, office.origin) == (D("8"), "office")
    assert report.kept_office == 1
    assert list(task.task_units.values_list("unit__name", flat=True)) == ["经开区科技局"]


def test_load_plans_restores_a_document_figure_and_records_why(quanzhou):
    target = Target.objects.get(indicator__plan=quanzhou, indicator__code="trademarks", year=2026)
    Target.objects.filter(pk=target.pk).update(min=D("87"))

    plans_load_all()

    target.refresh_from_db()
    assert target.min == D("88")
    assert target.history.first().history_change_reason.startswith("load_plans")


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("市知识产权局、科技局", ["市知识产权局", "市科技局"]),
        (
            "市知识产权局、金融监管局,中国人民银行泉州市分行",
            ["市知识产权局", "市金融监管局", "中国人民银行泉州市分行"],
        ),
        ("市委宣传部,市知识产权局、人社局", ["市委宣传部", "市知识产权局", "市人社局"]),
        ("晋江市人民政府、丰泽区人民政府", ["晋江市人民政府", "丰泽区人民政府"]),
        (
            "市知识产权局，市知识产权工作领导小组各成员单位",
            ["市知识产权局", "市知识产权工作领导小组各成员单位"],
        ),
        ("区市场监管局、科技局", ["区市场监管局", "区科技局"]),
        ("市知识产权局、市科技局", ["市知识产权局", "市科技局"]),
        ("  市知识产权局 、 、科技局 ,", ["市知识产权局", "市科技局"]),
        ("", []),
    ],
)
def test_it_splits_unit_lists(line, names):
    assert split_unit_list(line) == names
