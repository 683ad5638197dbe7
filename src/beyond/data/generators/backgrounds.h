#pragma once
/// Cluttered procedural backgrounds for the `scenes` generator: a colour gradient, low-frequency
/// colour noise, a periodic texture (stripes, checks or waves) and distractor shapes (discs,
/// rectangles, polygons, strokes, rings). The distractors are deliberately object-sized and
/// coloured like the objects, so a detector has to learn the objects' shapes rather than "anything
/// that is not smooth"; none of them is annotated.
#include <cstdint>

#include <opencv2/core.hpp>

#include "beyond/data/generators/random.h"

namespace beyond::data {

/// An RGB background, CV_8UC3 [height, width], drawn from `rng` alone (same state, same pixels).
cv::Mat render_background(Random& rng, int height, int width);

}  // namespace beyond::data
