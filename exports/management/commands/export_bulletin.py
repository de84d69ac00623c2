from exports.management.commands.export_report import Command as ExportReport


class Command(ExportReport):
    """`export_bulletin SLUG --year Y --quarter Q [--format xlsx|docx|pdf] -o FILE`: the 通报, as PRODUCT.md
    names the command; the same options and checks as `export_report`, whose `--bulletin` it always sets."""

    help = "导出方案某季度的工作推进情况通报（Excel、Word 公文或 PDF）。"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(bulletin=True)
