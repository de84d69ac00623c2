from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exports.charts import NoChineseFont
from exports.documents import FORMATS, export_to_path
from exports.pdf import PdfUnavailable
from ipcity.quarters import period_text
from plans.models import Plan


class Command(BaseCommand):
    help = "导出方案某季度的进展情况报告（Excel、Word 公文或 PDF）；加 --bulletin 导出工作推进情况通报。"

    def add_arguments(self, parser):
        parser.add_argument("slug", help="方案标识，如 quanzhou-2024-2026")
        parser.add_argument("--year", type=int, required=True, help="年度，如 2025")
        parser.add_argument("--quarter", type=int, required=True, help="季度，1—4")
        parser.add_argument("-o", "--output", required=True, help="输出文件，如 report.xlsx")
        parser.add_argument(
            "--format", choices=FORMATS, default="xlsx", help="xlsx（默认）、docx（Word 公文）或 pdf"
        )
        parser.add_argument("--bulletin", action="store_true", help="导出通报而非进展情况报告")

    def handle(self, *args, slug, year, quarter, output, bulletin, format, **options):
        plan = Plan.objects.filter(slug=slug).first()
        if plan is None:
            known = "、".join(Plan.objects.order_by("slug").values_list("slug", flat=True)) or "无"
            raise CommandError(f"未找到方案“{slug}”。系统中的方案：{known}。")
        if quarter not in (1, 2, 3, 4):
            raise CommandError(f"季度应为 1—4，收到 {quarter}。")
        if year not in plan.years:
            raise CommandError(f"年度应在方案实施期 {plan.start_year}—{plan.end_year} 年内，收到 {year}。")
        path = Path(output)
        if path.suffix.lower() != f".{format}":
            raise CommandError(f"输出文件应以 .{format} 结尾：{output}")
        kind = "bulletin" if bulletin else "report"
        try:
            rows = export_to_path(kind=kind, format=format, plan=plan, year=year, quarter=quarter, path=path)
        except (PdfUnavailable, NoChineseFont) as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(f"无法写入 {output}：{error.strerror or error}") from error
        what = "工作推进情况通报" if bulletin else "进展情况报告"
        unit = "行" if format == "xlsx" else "段"
        self.stdout.write(
            self.style.SUCCESS(
                f"已导出{plan.short_title}{period_text(year, quarter)}{what}：{path}（{rows} {unit}）"
            )
        )
