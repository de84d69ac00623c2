import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from planimport.services import draft_as_api, draft_read, draft_save


class Command(BaseCommand):
    help = (
        "读取一份方案文件（.docx、带文字层的.pdf或.txt），识别出方案草稿。不加 --save 时只输出草稿JSON"
        "（{plan, indicators} 与接口 /api/plans/{slug}/ 和 /api/plans/{slug}/indicators/ 同形），"
        "不保存任何数据；"
        "加 --save 时保存草稿，供办公室在审核页面核对后发布。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="方案文件路径")
        parser.add_argument("--json", dest="out", help="草稿JSON写入此文件（默认输出到屏幕）")
        parser.add_argument("--save", action="store_true", help="保存草稿供审核")
        parser.add_argument("--slug", default="", help="方案标识（默认取文件名）")

    def handle(self, *args, path, out, save, slug, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            draft = draft_read(data=source.read_bytes(), name=source.name, slug=slug or _slug_of(source))
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        if out or not save:
            text = json.dumps(draft_as_api(draft), ensure_ascii=False, indent=2)
            if out:
                Path(out).write_text(text + "\n", encoding="utf-8")
            else:
                self.stdout.write(text)
        counts = (
            f"板块{len(draft['sections'])}个、任务{sum(len(s['tasks']) for s in draft['sections'])}项、"
            f"指标{len(draft['indicators'])}个、目标{sum(len(i['targets']) for i in draft['indicators'])}条，"
            f"待确认{len(draft['questions']) + sum(1 for i in draft['indicators'] if i['status'])}处"
        )
        if save:
            row = draft_save(draft=draft, filename=source.name, by=None)
            self.stderr.write(self.style.SUCCESS(f"已保存方案草稿（编号{row.pk}）：{counts}。"))
        else:
            self.stderr.write(f"已识别：{counts}。未保存（加 --save 保存草稿）。")


def _slug_of(path: Path) -> str:
    """A file named like a slug (quanzhou-2024-2026.txt) names its plan; others leave it to the office."""
    stem = path.stem.lower()
    return stem if stem.replace("-", "").isascii() and stem.replace("-", "").isalnum() else ""
