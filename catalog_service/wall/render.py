"""The wall page as printable HTML in Chinese. Pure: every text that anyone typed is escaped here."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """
@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: #111; margin: 0 auto;
       max-width: 190mm; font-size: 11pt; line-height: 1.45; }
header { border-bottom: 3px solid #c8102e; margin-bottom: 6mm; }
h1 { color: #c8102e; font-size: 20pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; border-left: 5px solid #c8102e; padding-left: 3mm; margin: 6mm 0 2mm; break-after: avoid; }
h3 { font-size: 11.5pt; margin: 3mm 0 1mm; }
table { width: 100%; border-collapse: collapse; margin-bottom: 2mm; }
th, td { border: 1px solid #999; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.meta { color: #444; }
.category { break-inside: avoid; }
.standard { margin: 0; padding-left: 5mm; }
.empty { color: #666; }
@media print { a { color: inherit; text-decoration: none; } }
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _rows(rows: list[list[Any]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>" for row in rows)


def render(data: dict[str, Any]) -> str:
    station = data["station"]
    hours = data["opening_hours"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_e(station['name'])} · 三张清单</title>",
        f"<style>{STYLE}</style></head><body>",
        "<header>",
        f"<h1>{_e(station['name'])}</h1>",
        f'<p class="meta">{_e(station["subdistrict_name"])} · {_e(station["community_name"])}<br>'
        f"地址：{_e(station['address'])}　电话：{_e(station['phone'] or '—')}</p>",
        "</header>",
        "<section><h2>开放时间</h2><table><tr><th>日期</th><th>时间</th></tr>",
        _rows([[item["days"], item["hours"]] for item in hours["weekly"]]),
        "</table>",
    ]
    if hours["exceptions"]:
        parts += [
            "<h3>特别安排</h3><table><tr><th>日期</th><th>时间</th><th>说明</th></tr>",
            _rows([[item["day"], item["hours"], item["note"]] for item in hours["exceptions"]]),
            "</table>",
        ]
    parts.append("</section>")

    parts.append("<section><h2>服务清单</h2>")
    for category in data["service_list"]:
        parts.append(f'<div class="category"><h3>{_e(category["name"])}</h3>')
        parts.append(
            '<ul class="standard">' + "".join(f"<li>{_e(i)}</li>" for i in category["standard_items"]) + "</ul>"
        )
        if category["optional_items"]:
            parts.append("<table><tr><th>自选服务</th><th>内容</th><th>时间</th><th>名额</th></tr>")
            parts.append(
                _rows(
                    [
                        [item["title"], item["description"], item["schedule"], item["capacity"] or "不限"]
                        for item in category["optional_items"]
                    ]
                )
            )
            parts.append("</table>")
        parts.append("</div>")
    parts.append("</section>")

    parts.append("<section><h2>资源清单</h2>")
    if data["resource_list"]:
        parts.append("<table><tr><th>资源</th><th>类别</th><th>提供方</th><th>容量</th><th>提前预约</th></tr>")
        parts.append(
            _rows(
                [
                    [r["title"], r["category"], r["provider"], r["capacity"], f"{r['lead_time_days']}天"]
                    for r in data["resource_list"]
                ]
            )
        )
        parts.append("</table>")
    else:
        parts.append('<p class="empty">暂无</p>')
    parts.append("</section>")

    parts.append("<section><h2>需求清单</h2>")
    if data["demand_list"]:
        parts.append("<table><tr><th>需求</th><th>类别</th><th>紧急程度</th><th>状态</th></tr>")
        parts.append(_rows([[d["title"], d["category"], d["urgency"], d["status"]] for d in data["demand_list"]]))
        parts.append("</table>")
    else:
        parts.append('<p class="empty">暂无</p>')
    parts.append("</section>")

    staff = data["contact"]["staff"]
    parts.append("<section><h2>联系我们</h2>")
    parts.append(f"<p>服务站电话：{_e(data['contact']['phone'] or '—')}</p>")
    if staff:
        parts.append("<table><tr><th>姓名</th><th>岗位</th></tr>")
        parts.append(_rows([[member["name"], member["role"]] for member in staff]))
        parts.append("</table>")
    parts.append(f'<p class="meta">打印日期：{_e(data["printed_on"])}</p></section>')
    parts.append("</body></html>")
    return "\n".join(parts)
