from django.core.management.base import BaseCommand

from indicators.services import PLAN_FIXTURES, plans_load_all


class Command(BaseCommand):
    help = "装载两个工作方案（fixtures/*.yaml）。可重复运行：已有数据不会重复。"

    def add_arguments(self, parser):
        parser.add_argument("fixtures", nargs="*", default=list(PLAN_FIXTURES), help="fixtures/ 下的方案文件")

    def handle(self, *args, fixtures, **options):
        report = plans_load_all(tuple(fixtures))
        self.stdout.write(self.style.SUCCESS(f"方案装载完成。{report.summary()}"))
