from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from devdata.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = (
        "生成演示数据：演示账号、填报分工、人口数据、2024年一季度至2026年三季度的演示填报（均标记为演示）。"
    )

    def handle(self, *args, **options):
        try:
            report = demo_load()
        except ImproperlyConfigured as refusal:
            raise CommandError(str(refusal)) from refusal
        if report.created:
            self.stdout.write(
                f"演示填报已生成：指标填报{report.submissions}条，任务进展{report.task_reports}条。"
            )
        else:
            self.stdout.write("演示填报已存在，未重复生成。")
        self.stdout.write(self.style.SUCCESS(f"\n演示账号（密码均为 {DEMO_PASSWORD}）："))
        for username, role, label in report.accounts:
            self.stdout.write(f"  {username:<14}{role:<8}{label}")
        self.stdout.write("")
