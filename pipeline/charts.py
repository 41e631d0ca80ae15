"""Charts for the report cards, drawn with matplotlib as SVG text.

One colorblind-safe palette (Okabe–Ito) for letter grades everywhere; every chart has a
title, labeled axes and a source line. Output is deterministic: no timestamps in the file
and a fixed id salt, so re-running on the same data produces the same bytes.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

plt.rcParams.update({
    "svg.hashsalt": "csec-law-grades",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
})

GRADE_COLORS = {"A": "#0072B2", "B": "#56B4E9", "C": "#F0E442", "D": "#E69F00", "F": "#D55E00",
                None: "#DDDDDD"}
GRADE_TEXT = {"A": "white", "B": "black", "C": "black", "D": "black", "F": "black", None: "black"}
STATUS_COLORS = {"met": "#0072B2", "partial": "#56B4E9", "unmet": "#D55E00", "not_coded": "#DDDDDD"}
STATUS_VALUE = {"met": 3, "partial": 2, "unmet": 1, "not_coded": 0}
LETTERS = ["A", "B", "C", "D", "F"]

# A tile grid of the 50 states and DC: (row, column).
TILES = {
    "AK": (0, 0), "ME": (0, 11), "VT": (1, 10), "NH": (1, 11),
    "WA": (2, 1), "ID": (2, 2), "MT": (2, 3), "ND": (2, 4), "MN": (2, 5), "IL": (2, 6), "WI": (2, 7),
    "MI": (2, 8), "NY": (2, 9), "RI": (2, 10), "MA": (2, 11),
    "OR": (3, 1), "NV": (3, 2), "WY": (3, 3), "SD": (3, 4), "IA": (3, 5), "IN": (3, 6), "OH": (3, 7),
    "PA": (3, 8), "NJ": (3, 9), "CT": (3, 10),
    "CA": (4, 1), "UT": (4, 2), "CO": (4, 3), "NE": (4, 4), "MO": (4, 5), "KY": (4, 6), "WV": (4, 7),
    "VA": (4, 8), "MD": (4, 9), "DE": (4, 10),
    "AZ": (5, 2), "NM": (5, 3), "KS": (5, 4), "AR": (5, 5), "TN": (5, 6), "NC": (5, 7), "SC": (5, 8),
    "DC": (5, 9),
    "OK": (6, 4), "LA": (6, 5), "MS": (6, 6), "AL": (6, 7), "GA": (6, 8),
    "HI": (7, 0), "TX": (7, 4), "FL": (7, 9),
}


def _svg(fig, tight: bool = True) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight" if tight else None)
    plt.close(fig)
    return buf.getvalue()


def _source(fig, text: str, margins: dict | None = None) -> None:
    """The source line, in a strip kept free below everything else. With `margins` (for charts
    drawn many times with the same layout) the axes are placed there instead of measuring
    every label, which is most of a chart's drawing time."""
    if margins:
        fig.subplots_adjust(**margins)
    else:
        fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.text(0.01, 0.01, text, fontsize=7, color="#444444", ha="left", va="bottom")


# The trend chart's layout: the same labels on every state's chart.
TREND_MARGINS = {"left": 0.095, "right": 0.955, "top": 0.9, "bottom": 0.3}
TILE_MARGINS = {"left": 0.02, "right": 0.98, "top": 0.93, "bottom": 0.16}


def grade_distribution(grades: pd.DataFrame, title: str, source: str) -> str:
    """Stacked bars: how many jurisdictions earned each letter, year by year."""
    counts = (grades.assign(letter=grades["grade"].fillna("not graded"))
              .pivot_table(index="year", columns="letter", values="state", aggfunc="count", fill_value=0))
    fig, ax = plt.subplots(figsize=(7, 3.4))
    bottom = pd.Series(0, index=counts.index)
    for letter in [*LETTERS, "not graded"]:
        values = counts[letter] if letter in counts else pd.Series(0, index=counts.index)
        ax.bar(counts.index, values, bottom=bottom, color=GRADE_COLORS.get(letter if letter in LETTERS else None),
               label=letter, edgecolor="white", linewidth=0.5)
        bottom += values
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_xlabel("Year (law in force on the assessment date)")
    ax.set_ylabel("Jurisdictions (of 51)")
    ax.set_xticks(list(counts.index))
    ax.tick_params(axis="x", labelrotation=90)
    ax.legend(ncol=6, fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.3))
    _source(fig, source)
    return _svg(fig)


def score_trend(history: pd.DataFrame, scale: list[tuple[str, float]], law_change_years: list[int],
                title: str, source: str) -> str:
    """A state's percent of the coded maximum over time, on the letter bands, with a marker
    for each year a coded law changed."""
    fig, ax = plt.subplots(figsize=(6.5, 2.8))
    bounds = [100.0001] + [p for _, p in scale] + [0]
    for (letter, _), top, bottom in zip([*scale, ("F", 0)], bounds[:-1], bounds[1:]):
        ax.axhspan(bottom, min(top, 100), color=GRADE_COLORS[letter], alpha=0.18, linewidth=0)
        ax.text(1.01, (bottom + min(top, 100)) / 2, letter, transform=ax.get_yaxis_transform(),
                fontsize=8, va="center", ha="left", color="#333333")
    graded = history.dropna(subset=["percent"])
    ax.plot(graded["year"], graded["percent"], color="#000000", marker="o", markersize=3.5, linewidth=1.4,
            label="percent of coded maximum")
    changes = graded[graded["year"].isin(law_change_years)]
    if len(changes):
        ax.scatter(changes["year"], changes["percent"], marker="D", s=36, facecolor="white", edgecolor="#CC79A7",
                   linewidth=1.6, zorder=3, label="a coded law changed")
    ax.set_ylim(0, 100)
    years = sorted(history["year"].unique())
    if years:
        ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
        ax.set_xticks(years)
    ax.tick_params(axis="x", labelrotation=90)
    ax.set_ylabel("Percent of coded points")
    ax.set_xlabel("Year")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    _source(fig, source, TREND_MARGINS)
    return _svg(fig, tight=False)


def criterion_heatmap(scores: pd.DataFrame, criteria: pd.DataFrame, title: str, source: str) -> str:
    """States × criteria for one year: met, partial, unmet or not coded."""
    order = list(criteria.sort_values("criterion_index")["criterion_id"])
    grid = scores.pivot_table(index="state", columns="criterion_id", values="status", aggfunc="first")
    grid = grid.reindex(columns=order).sort_index()
    values = grid.apply(lambda col: col.map(STATUS_VALUE)).fillna(0).to_numpy()
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap([STATUS_COLORS[s] for s in ("not_coded", "unmet", "partial", "met")])
    fig, ax = plt.subplots(figsize=(0.55 * len(order) + 2.6, 0.17 * len(grid) + 1.8))
    ax.imshow(values, cmap=cmap, vmin=-0.5, vmax=3.5, aspect="auto", interpolation="nearest")
    ax.set_yticks(range(len(grid)), grid.index, fontsize=6.5)
    ax.set_xticks(range(len(order)), order, rotation=60, ha="right", fontsize=7)
    ax.set_title(title, loc="left", fontsize=11)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=STATUS_COLORS[s], label=s.replace("_", " ")) for s in STATUS_COLORS],
              ncol=4, fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    ax.set_xlabel("Criterion")
    ax.set_ylabel("State")
    width, height = fig.get_size_inches()
    # room in inches for the state codes, the rotated criterion ids, the legend and the source
    _source(fig, source, {"left": 0.75 / width, "right": 1 - 0.2 / width, "top": 1 - 0.45 / height,
                          "bottom": 2.3 / height})
    return _svg(fig)


def tile_map(grades: pd.DataFrame, title: str, source: str) -> str:
    """A U.S. tile-grid map of letter grades for one year."""
    letters = {s: (g if isinstance(g, str) else None) for s, g in zip(grades["state"], grades["grade"])}
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for state, (row, col) in TILES.items():
        letter = letters.get(state)
        ax.add_patch(plt.Rectangle((col, -row), 0.92, 0.92, color=GRADE_COLORS[letter], linewidth=0))
        ax.text(col + 0.46, -row + 0.58, state, ha="center", va="center", fontsize=7.5, weight="bold",
                color=GRADE_TEXT[letter])
        ax.text(col + 0.46, -row + 0.26, letter or "–", ha="center", va="center", fontsize=7, color=GRADE_TEXT[letter])
    ax.set_xlim(-0.2, 12.2)
    ax.set_ylim(-7.2, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, loc="left", fontsize=11)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=GRADE_COLORS[g], label=g or "not graded") for g in [*LETTERS, None]],
              ncol=6, fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, 0.02))
    _source(fig, source, TILE_MARGINS)
    return _svg(fig, tight=False)


def ours_vs_published(comparison: pd.DataFrame, title: str, source: str) -> str:
    """Our percent against the published percent, where they compare."""
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    c = comparison.dropna(subset=["our_percent", "published_percent"])
    ax.plot([0, 100], [0, 100], color="#999999", linewidth=0.8, linestyle="--", label="agreement")
    ax.scatter(c["published_percent"], c["our_percent"], color="#0072B2", s=22, zorder=3)
    for row in c.itertuples():
        ax.annotate(f"{row.state} {row.year}", (row.published_percent, row.our_percent), fontsize=6.5,
                    xytext=(3, 3), textcoords="offset points")
    ax.set_xlim(0, 102)
    ax.set_ylim(0, 102)
    ax.set_xlabel("Published percent (Shared Hope International)")
    ax.set_ylabel("Our percent of coded points")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    if c.empty:
        ax.text(50, 50, "no comparable published grades", ha="center", va="center", fontsize=8, color="#444444")
    _source(fig, source)
    return _svg(fig)
