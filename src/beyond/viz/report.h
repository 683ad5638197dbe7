#pragma once
/// A small self-contained HTML report (inline CSS, no scripts) for a run directory.
///
///   beyond::viz::HtmlReport r("VAE on Fashion-MNIST");
///   r.heading("Training");
///   r.image("loss.png", "Negative ELBO per step");
///   r.metrics({{"test/elbo", -245.3}, {"test/bce", 231.0}});
///   r.write(run_dir + "/report.html");
#include <map>
#include <string>
#include <vector>

namespace beyond::viz {

/// Builds an HTML page block by block. All text is HTML-escaped; image paths are relative to the page.
class HtmlReport {
 public:
  explicit HtmlReport(std::string title);

  /// A section heading (<h2>).
  void heading(const std::string& text);
  /// A paragraph of plain text.
  void paragraph(const std::string& text);
  /// Text shown as it is, line breaks and spacing kept (<pre>, wrapped at the page width): samples of
  /// generated text.
  void preformatted(const std::string& text);
  /// A paragraph holding one link; `href` is relative to the page's directory.
  void link(const std::string& href, const std::string& text);
  /// An image with a caption; `relative_path` is relative to the directory the page is written to.
  void image(const std::string& relative_path, const std::string& caption);
  /// A table; every row should have header.size() cells (shorter rows are padded, longer ones refused).
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
  /// A two-column name/value table, values with up to 6 significant digits.
  void metrics(const std::map<std::string, double>& values);

  /// The whole page.
  std::string html() const;
  /// Writes the page to `path` atomically.
  void write(const std::string& path) const;

 private:
  std::string title_;
  std::vector<std::string> blocks_;
};

namespace detail {
/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(const std::string& text);
}  // namespace detail

}  // namespace beyond::viz
