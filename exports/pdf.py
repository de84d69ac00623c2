"""A .docx as PDF through LibreOffice headless: the .docx stays the source, the PDF is its print."""

from __future__ import annotations

import shutil
import subprocess  # nosec B404
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 180


class PdfUnavailable(RuntimeError):
    """LibreOffice is not installed, or could not convert the document; the message is for the office."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(source: Path, target: Path) -> None:
    """Convert `source` (.docx) to `target` (.pdf). A private LibreOffice profile per conversion lets
    several run at once; a conversion over TIMEOUT_SECONDS is stopped. PdfUnavailable (Chinese) when
    LibreOffice is missing or fails."""
    program = soffice()
    if program is None:
        raise PdfUnavailable(
            "服务器未安装 LibreOffice，无法生成 PDF。请安装 libreoffice-writer，或先导出 Word 文档（.docx）。"
        )
    with tempfile.TemporaryDirectory(prefix="ipcity-pdf-") as work:
        folder = Path(work)
        copy = folder / "document.docx"
        shutil.copyfile(source, copy)
        command = [
            program,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(copy),
        ]
        try:
            subprocess.run(  # noqa: S603  # nosec B603
                command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False, cwd=folder
            )
        except subprocess.TimeoutExpired as error:
            message = f"LibreOffice 转换 PDF 超过{TIMEOUT_SECONDS}秒未完成，请稍后重试。"
            raise PdfUnavailable(message) from error
        produced = folder / "document.pdf"
        if not produced.exists() or not produced.stat().st_size:
            raise PdfUnavailable("LibreOffice 未能将文档转换为 PDF，请稍后重试或导出 Word 文档。")
        shutil.move(produced, target)
