#pragma once
// The sequence panel of `beyond demo`: generated text from a character language model and the
// vanishing / exploding gradient plot.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "beyond/viz/report.h"

namespace beyond::cli {

struct SequencePanelOptions {
  /// A finished `beyond train char-lm` run to sample from; when it holds no char_lm run, a short
  /// training replaces it.
  std::string char_lm_run = "runs/char_lm";
  /// Corpus of that short training; "" = the King James Bible, extracted into the panel's folder.
  std::string text;
  /// Steps of the short training.
  int64_t steps = 500;
};

/// Writes OUT/sequence/{sample.txt, gradients.png, radius.png} (and the short run, if any) and adds the
/// panel to `index`. Returns the table row, or nothing when the training was interrupted.
std::optional<std::vector<std::string>> run_sequence_panel(const std::string& out, const SequencePanelOptions& options,
                                                           viz::HtmlReport& index);

}  // namespace beyond::cli
