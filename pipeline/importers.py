"""Read research tables of published grades as rows of data/raw/reference/published_grades.csv.

The research tables name states in full and may list several source URLs in one cell
("url1 | url2"); the contract wants USPS codes, one `source_url`, and the framework. The
shipped file was made from ../shared/research/pic_published_scores.csv and
just_like_me_2025_scores.csv this way (a test checks every research row is in it), plus
the demand-section scores found later.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pipeline.jurisdictions import usps_code

FRAMEWORKS = {"PIC": "pic", "REPORT_CARD": "report_cards", "REPORT_CARDS": "report_cards",
              "JUST_LIKE_ME": "just_like_me"}
# Section maxima that the framework's own documents state (see data/raw/CODEBOOK.md).
MAX_TOTAL = {"pic": "102.5", "just_like_me": "100"}


def published_rows(research_csv: Path, framework: str | None = None) -> list[dict]:
    """Rows in the contract's columns, one per research row, in the file's order."""
    out = []
    with Path(research_csv).open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            code = usps_code(row["state"])
            if code is None:
                raise ValueError(f"{research_csv}: state {row['state']!r} is not one of the 51")
            fw = framework or FRAMEWORKS[row["methodology"].strip().upper()]
            urls = [u.strip() for u in row["source_url"].split("|") if u.strip()]
            note = "Also reported at: " + " ; ".join(urls[1:]) if len(urls) > 1 else ""
            out.append({
                "year": row["year"].strip(),
                "state": code,
                "framework": fw,
                "section": "total",
                "score": row.get("score", "").strip(),
                "max_score": MAX_TOTAL.get(fw, ""),
                "grade": row.get("grade", "").strip(),
                "national_rank": row.get("national_rank", "").strip(),
                "source_url": urls[0],
                "evidence": " ".join(row["evidence"].split()),
                "note": note,
            })
    return out
