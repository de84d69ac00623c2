"""Headless LibreOffice for the tests that prove our workbooks open cleanly outside openpyxl."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FILTERS = {
    "csv": "csv:Text - txt - csv (StarCalc):44,34,76,1",
    "pdf": "pdf",
    "xlsx": "xlsx:Calc MS Excel 2007 XML",  # a workbook re-saved as another spreadsheet program saves it
}


def soffice_missing() -> bool:
    return shutil.which("soffice") is None


def convert(path: Path, to: str, outdir: Path) -> Path:
    """Convert with a private LibreOffice profile (parallel runs must not share one); fail on any error."""
    profile = outdir / "lo-profile"
    completed = subprocess.run(  # noqa: S603
        [  # noqa: S607
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            FILTERS[to],
            "--outdir",
            str(outdir),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    result = outdir / f"{path.stem}.{to}"
    assert completed.returncode == 0 and result.exists(), completed.stdout + completed.stderr
    assert "Error" not in completed.stderr, completed.stderr
    return result


def pdf_pages(pdf: Path) -> int:
    output = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    return int(next(line.split()[-1] for line in output.splitlines() if line.startswith("Pages:")))


def pdf_to_png(pdf: Path, prefix: Path, *, last_page: int = 3, dpi: int = 80) -> list[Path]:
    subprocess.run(  # noqa: S603
        ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", str(last_page), str(pdf), str(prefix)],  # noqa: S607
        check=True,
    )
    return sorted(prefix.parent.glob(f"{prefix.name}-*.png"))
