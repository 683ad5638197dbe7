#include "beyond/models/detection/matcher.h"

#include "beyond/core/error.h"

namespace beyond::models {

Matcher::Matcher(double high_threshold, double low_threshold, bool allow_low_quality_matches)
    : high_(high_threshold), low_(low_threshold), allow_low_quality_(allow_low_quality_matches) {
  BEYOND_CHECK(low_threshold <= high_threshold, "Matcher: low_threshold (", low_threshold,
               ") must be <= high_threshold (", high_threshold, ")");
}

torch::Tensor Matcher::operator()(const torch::Tensor& match_quality) const {
  BEYOND_CHECK(match_quality.dim() == 2, "Matcher: the quality matrix must be [ground truth, predictions], got ",
               match_quality.sizes());
  BEYOND_CHECK(match_quality.size(0) > 0,
               "Matcher: no ground-truth boxes for an image (give images without objects an empty target "
               "and let the detector treat every anchor as background)");
  BEYOND_CHECK(match_quality.size(1) > 0, "Matcher: no predicted boxes (anchors or proposals) for an image");

  auto [best_quality, matches] = match_quality.max(0);
  const auto all_matches = allow_low_quality_ ? matches.clone() : torch::Tensor();
  const auto below = best_quality < low_;
  const auto between = (best_quality >= low_) & (best_quality < high_);
  matches.masked_fill_(below, BELOW_LOW_THRESHOLD);
  matches.masked_fill_(between, BETWEEN_THRESHOLDS);

  if (allow_low_quality_) {
    // Predictions that reach some ground truth's best quality (ties included) take their best match back.
    const auto best_per_gt = std::get<0>(match_quality.max(1));
    const auto is_best = (match_quality == best_per_gt.unsqueeze(1)).any(0);
    matches = torch::where(is_best, all_matches, matches);
  }
  return matches;
}

}  // namespace beyond::models
