"""The annual assessment as CSV and as a printable HTML report with inline SVG charts (no JavaScript)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from evaluation_service.html import Html, escape, join, page, tag
from evaluation_service.reports.schemas import AssessmentRead, FormulaRead, Summary, TrendPoint
from shared.csv_safety import SafeWriter

GRADE_NAMES = {"excellent": "优秀", "good": "良好", "adequate": "合格", "poor": "不合格"}
COMPONENT_NAMES = {
    "resident": "居民评价",
    "acceptance_on_time": "按时受理",
    "resolution_on_time": "按时办结",
    "backstop": "兜底案件",
}
OMITTED = {
    "below_minimum_sample": "评价数不足，未计入",
    "no_accepted_tickets": "无受理记录，未计入",
    "no_resolved_tickets": "无办结记录，未计入",
}

CSV_COLUMNS = [
    "year", "staff_id", "name", "station_id", "station_name", "subdistrict_id", "subdistrict_name",
    "ratings", "closed_tickets", "response_rate", "mean_attitude", "mean_ability", "follow_ups",
    "resident_score", "accepted", "accepted_on_time", "resolved", "resolved_on_time", "backstop_handled",
    "score", "grade",
]  # fmt: skip


def assessments_csv(items: Sequence[AssessmentRead]) -> str:
    buffer = io.StringIO()
    writer = SafeWriter(buffer, lineterminator="\r\n")  # names typed into the catalogue: never a formula
    writer.writerow(CSV_COLUMNS)
    for item in items:
        resident = next(c for c in item.components if c.name == "resident")
        row = [
            item.year, item.staff_id, item.name, item.station_id, item.station_name, item.subdistrict_id,
            item.subdistrict_name, item.ratings.count, item.ratings.closed_tickets, item.ratings.response_rate,
            item.ratings.mean_attitude, item.ratings.mean_ability, item.ratings.follow_up_count,
            None if resident.score is None else round(resident.score, 2),
            item.ticket_figures.accepted_count, item.ticket_figures.accepted_on_time_count,
            item.ticket_figures.resolved_count, item.ticket_figures.resolved_on_time_count,
            item.ticket_figures.backstop_handled_count, item.score, item.grade,
        ]  # fmt: skip
        writer.writerow(row)
    return buffer.getvalue()


# --- charts -----------------------------------------------------------------------------------------

_FONT = 'font-family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"'


def _svg(width: int, height: int, label: str, body: str) -> Html:
    return Html(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(label)}" {_FONT} font-size="12">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def components_chart(item: AssessmentRead) -> Html:
    rows = []
    for index, component in enumerate(item.components):
        y = 8 + index * 28
        label = COMPONENT_NAMES.get(component.name, component.name)
        rows.append(f'<text x="0" y="{y + 14}">{escape(label)}</text>')
        rows.append(f'<rect x="80" y="{y}" width="300" height="18" fill="#eee"/>')
        if component.score is None:
            reason = OMITTED.get(component.omitted_reason or "", "未计入")
            rows.append(f'<text x="86" y="{y + 14}" fill="#777">{escape(reason)}</text>')
            continue
        width = round(component.score * 3, 1)
        rows.append(f'<rect x="80" y="{y}" width="{width}" height="18" fill="#b71c1c"/>')
        rows.append(
            f'<text x="388" y="{y + 14}">{component.score:.1f} 分 × {component.applied_weight:.0%}'
            f" = {component.points:.1f}</text>"
        )
    return _svg(560, 8 + 28 * len(item.components), "考核构成", "".join(rows))


def trend_chart(points: Sequence[TrendPoint]) -> Html:
    if not points:
        return Html("")
    width, height, left, top, bottom = 560, 190, 30, 10, 40
    plot_height = height - top - bottom
    step = (width - left - 10) / len(points)
    most = max((p.count for p in points), default=0) or 1
    parts = [f'<line x1="{left}" y1="{top + plot_height}" x2="{width - 10}" y2="{top + plot_height}" stroke="#999"/>']
    for score in range(1, 6):
        y = top + plot_height - (score - 1) / 4 * plot_height
        parts.append(f'<text x="0" y="{y + 4:.1f}" fill="#777">{score}</text>')
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#eee"/>')
    for index, point in enumerate(points):
        x = left + index * step
        bar = point.count / most * plot_height * 0.5
        parts.append(
            f'<rect x="{x + step * 0.2:.1f}" y="{top + plot_height - bar:.1f}" width="{step * 0.6:.1f}" '
            f'height="{bar:.1f}" fill="#e0e0e0"><title>{escape(point.month)}: {point.count}</title></rect>'
        )
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{height - 22}" text-anchor="middle" fill="#555">'
            f"{int(point.month[5:])}月</text>"
        )
    for field, colour in (("mean_attitude", "#b71c1c"), ("mean_ability", "#1565c0")):
        segment: list[str] = []
        segments: list[list[str]] = []
        for index, point in enumerate(points):
            value = getattr(point, field)
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x = left + index * step + step / 2
            y = top + plot_height - (value - 1) / 4 * plot_height
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        if segment:
            segments.append(segment)
        for line in segments:
            if len(line) > 1:
                parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    parts.append(f'<rect x="{left}" y="{height - 14}" width="10" height="10" fill="#b71c1c"/>')
    parts.append(f'<text x="{left + 14}" y="{height - 5}">服务态度</text>')
    parts.append(f'<rect x="{left + 80}" y="{height - 14}" width="10" height="10" fill="#1565c0"/>')
    parts.append(f'<text x="{left + 94}" y="{height - 5}">服务能力</text>')
    parts.append(f'<rect x="{left + 160}" y="{height - 14}" width="10" height="10" fill="#e0e0e0"/>')
    parts.append(f'<text x="{left + 174}" y="{height - 5}">评价数（样本不足的月份不显示均分）</text>')
    return _svg(width, height, "月度趋势", "".join(parts))


def distribution_chart(summary: Summary) -> Html:
    parts = []
    most = max([*summary.attitude_distribution.values(), *summary.ability_distribution.values(), 1])
    for group, (label, distribution, colour) in enumerate(
        (
            ("服务态度", summary.attitude_distribution, "#b71c1c"),
            ("服务能力", summary.ability_distribution, "#1565c0"),
        )
    ):
        x0 = 10 + group * 280
        parts.append(f'<text x="{x0}" y="14">{escape(label)}</text>')
        for score in range(1, 6):
            count = distribution.get(str(score), 0)
            bar = count / most * 80
            x = x0 + (score - 1) * 50
            parts.append(f'<rect x="{x}" y="{110 - bar:.1f}" width="36" height="{bar:.1f}" fill="{colour}"/>')
            parts.append(f'<text x="{x + 18}" y="{104 - bar:.1f}" text-anchor="middle">{count}</text>')
            parts.append(f'<text x="{x + 18}" y="126" text-anchor="middle">{score}分</text>')
    return _svg(560, 132, "评分分布", "".join(parts))


# --- the printable report ---------------------------------------------------------------------------

STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:#222;margin:24px;font-size:14px}
h1{font-size:22px;margin:0 0 4px 0}h2{font-size:17px;margin:0 0 6px 0}
table{border-collapse:collapse;width:100%;margin:12px 0}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left}
th{background:#f3f3f3}td.n{text-align:right}
section.staff{border-top:2px solid #b71c1c;padding-top:10px;margin-top:20px;page-break-inside:avoid;break-inside:avoid}
.muted{color:#666}.score{font-size:20px;font-weight:700}
svg{display:block;max-width:100%;height:auto;margin:6px 0}
@media print{body{margin:0}section.staff{page-break-inside:avoid}}
"""


def _number(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{suffix}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ratio(on_time: int, total: int) -> str:
    return f"{on_time}/{total}" if total else "—"


def assessments_html(year: int, formula: FormulaRead, items: Sequence[AssessmentRead], minimum_sample: int) -> Html:
    header = tag(
        "header",
        tag("h1", f"{year}年度社工绩效考核"),
        tag(
            "p",
            f"考核公式：居民评价 {formula.resident_weight:.0%}，按时受理 {formula.acceptance_on_time_weight:.0%}，"
            f"按时办结 {formula.resolution_on_time_weight:.0%}，兜底案件 {formula.backstop_weight:.0%}"
            f"（全年 {formula.backstop_target} 件为满分）。评价少于 {minimum_sample} 条时不显示均分，"
            "该项不计入，其余各项按权重折算。",
            class_="muted",
        ),
    )
    head = tag(
        "tr",
        *(
            tag("th", text)
            for text in (
                "社工",
                "服务站",
                "评价数",
                "态度均分",
                "能力均分",
                "参评率",
                "按时受理",
                "按时办结",
                "兜底",
                "总分",
                "等级",
            )
        ),
    )
    rows = [
        tag(
            "tr",
            tag("td", item.name or item.staff_id),
            tag("td", item.station_name or "—"),
            tag("td", str(item.ratings.count), class_="n"),
            tag("td", _number(item.ratings.mean_attitude), class_="n"),
            tag("td", _number(item.ratings.mean_ability), class_="n"),
            tag("td", _percent(item.ratings.response_rate), class_="n"),
            tag(
                "td", _ratio(item.ticket_figures.accepted_on_time_count, item.ticket_figures.accepted_count), class_="n"
            ),
            tag(
                "td", _ratio(item.ticket_figures.resolved_on_time_count, item.ticket_figures.resolved_count), class_="n"
            ),
            tag("td", str(item.ticket_figures.backstop_handled_count), class_="n"),
            tag("td", _number(item.score), class_="n"),
            tag("td", GRADE_NAMES.get(item.grade or "", "—")),
        )
        for item in items
    ]
    table = tag("table", tag("thead", head), tag("tbody", *rows)) if items else tag("p", "本年度没有可考核的社工。")
    sections = [
        tag(
            "section",
            tag("h2", item.name or item.staff_id),
            tag(
                "p",
                f"{item.subdistrict_name or ''} {item.station_name or ''} · 总分 ",
                tag("span", _number(item.score), class_="score"),
                f" · {GRADE_NAMES.get(item.grade or '', '无等级')}",
                class_="muted",
            ),
            components_chart(item),
            distribution_chart(item.ratings),
            trend_chart(item.trend),
            class_="staff",
        )
        for item in items
    ]
    return page(f"{year}年度社工绩效考核", join([header, table, *sections]), style=STYLE)
