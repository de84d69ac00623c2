"""manage.py rollup [--plan SLUG] [--pending] [--queue]: the roll-up by hand (the nightly run does the same);
with --queue the full roll-up goes to a Celery worker (as a deployment starts: the web need not wait)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from plans.models import Plan
from progress.rollup import rollup_full, rollup_pending
from progress.tasks import rollup_full_task


class Command(BaseCommand):
    help = "重新汇总进度与报送情况：全部方案，或 --plan 指定的方案；--pending 只处理待汇总的指标。"

    def add_arguments(self, parser):
        parser.add_argument("--plan", metavar="SLUG", help="只汇总这一方案（标识，如 quanzhou-2024-2026）")
        parser.add_argument("--pending", action="store_true", help="只处理审核后排队待汇总的指标")
        parser.add_argument(
            "--queue",
            action="store_true",
            help="不在本进程汇总，而是把全量汇总任务交给 Celery worker 后立即返回",
        )

    def handle(self, *args, plan=None, pending=False, queue=False, **options):
        if plan and pending:
            raise CommandError("--plan 与 --pending 不能同时使用。")
        if queue and pending:
            raise CommandError("--queue 只用于全量汇总，不能与 --pending 同时使用。")
        chosen = None
        if plan:
            chosen = Plan.objects.filter(slug=plan).first()
            if chosen is None:
                slugs = "、".join(Plan.objects.order_by("slug").values_list("slug", flat=True))
                raise CommandError(f"未找到方案“{plan}”。现有方案：{slugs or '无'}")
        if queue:
            result = rollup_full_task.delay(plan)
            self.stdout.write(self.style.SUCCESS(f"全量汇总已交给 Celery worker（任务 {result.id}）。"))
            return
        started = time.perf_counter()
        try:
            run = rollup_pending() if pending else rollup_full(plan=chosen)
        except Exception as error:
            raise CommandError(f"汇总失败：{error}（已记入汇总运行记录）") from error
        seconds = time.perf_counter() - started
        if run is None:
            self.stdout.write("没有待汇总的指标。")
            return
        self.stdout.write(self.style.SUCCESS(f"汇总完成：{done(run)}，用时 {seconds:.2f} 秒。"))


def done(run) -> str:
    """What the run did, truthfully: which plans or keys, and how many progress rows it computed. A full run
    stores only the rows whose figures changed (a rerun stores none), so the count is not of rows written."""
    if "plans" in run.scope:
        scope = f"方案 {'、'.join(run.scope['plans']) or '（无）'}"
    else:
        scope = f"待汇总的 {len(run.scope.get('keys', []))} 个指标年度"
    return f"{scope}，计算 {run.rows} 行进度（与已存数值相同的行不重写）"
