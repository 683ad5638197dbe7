#include "beyond/viz/report.h"

#include <cmath>
#include <cstdio>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"

namespace beyond::viz {

namespace detail {

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace detail

namespace {

constexpr const char* kStyle =
    "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:960px;margin:2em auto;"
    "padding:0 1em;color:#222;line-height:1.45}"
    "h1{font-size:1.6em;border-bottom:1px solid #ddd;padding-bottom:.3em}"
    "h2{font-size:1.25em;margin-top:1.6em}"
    "figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}"
    "figcaption{color:#555;font-size:.9em;margin-top:.3em}"
    "table{border-collapse:collapse;margin:1em 0;font-size:.92em}"
    "th,td{border:1px solid #ddd;padding:.3em .7em;text-align:left}"
    "th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "pre{white-space:pre-wrap;background:#f8f8f8;border:1px solid #eee;padding:.6em;font-size:.9em}";

std::string format_value(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

void HtmlReport::heading(const std::string& text) { blocks_.push_back("<h2>" + detail::html_escape(text) + "</h2>"); }

void HtmlReport::paragraph(const std::string& text) {
  blocks_.push_back("<p>" + detail::html_escape(text) + "</p>");
}

void HtmlReport::preformatted(const std::string& text) {
  blocks_.push_back("<pre>" + detail::html_escape(text) + "</pre>");
}

void HtmlReport::link(const std::string& href, const std::string& text) {
  blocks_.push_back("<p><a href=\"" + detail::html_escape(href) + "\">" + detail::html_escape(text) + "</a></p>");
}

void HtmlReport::image(const std::string& relative_path, const std::string& caption) {
  const std::string cap = detail::html_escape(caption);
  std::string block = "<figure><img src=\"" + detail::html_escape(relative_path) + "\" alt=\"" + cap + "\">";
  if (!caption.empty()) block += "<figcaption>" + cap + "</figcaption>";
  block += "</figure>";
  blocks_.push_back(std::move(block));
}

void HtmlReport::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string block = "<table>";
  if (!header.empty()) {
    block += "<thead><tr>";
    for (const auto& h : header) block += "<th>" + detail::html_escape(h) + "</th>";
    block += "</tr></thead>";
  }
  block += "<tbody>";
  for (size_t r = 0; r < rows.size(); ++r) {
    BEYOND_CHECK(header.empty() || rows[r].size() <= header.size(), "HtmlReport::table: row ", r, " has ",
                 rows[r].size(), " cells but the header has ", header.size(), " columns");
    block += "<tr>";
    for (const auto& cell : rows[r]) block += "<td>" + detail::html_escape(cell) + "</td>";
    for (size_t c = rows[r].size(); c < header.size(); ++c) block += "<td></td>";
    block += "</tr>";
  }
  block += "</tbody></table>";
  blocks_.push_back(std::move(block));
}

void HtmlReport::metrics(const std::map<std::string, double>& values) {
  std::string block = "<table class=\"metrics\"><thead><tr><th>metric</th><th>value</th></tr></thead><tbody>";
  for (const auto& [name, value] : values) {
    block += "<tr><td>" + detail::html_escape(name) + "</td><td class=\"num\">" + format_value(value) + "</td></tr>";
  }
  block += "</tbody></table>";
  blocks_.push_back(std::move(block));
}

std::string HtmlReport::html() const {
  const std::string title = detail::html_escape(title_);
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + title +
                     "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<h1>" + title + "</h1>\n";
  for (const auto& b : blocks_) page += b + "\n";
  page += "</body>\n</html>\n";
  return page;
}

void HtmlReport::write(const std::string& path) const { write_file_atomic(path, html()); }

}  // namespace beyond::viz
