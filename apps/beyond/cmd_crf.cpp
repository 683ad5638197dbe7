// beyond crf --image I.png (--unary U.npy | --probs P.npy) --out labels.png [--marginals Q.npy]
//            [--iterations 10 --gaussian-sxy 3 --gaussian-compat 3 --bilateral-sxy 80
//             --bilateral-srgb 13 --bilateral-compat 10]
// beyond refine --image I.png (--box x,y,w,h | --mask M.png) --out M2.png [--band B ... the same model flags]
// Dense CRF post-processing of a segmentation, with pydensecrf's model and defaults (those of the
// densecrf fixture), and the refinement of a coarse object mask on a photograph
// (crf/mask_refinement.h). Both run in the torch-free front-end (see front_main.cpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/crf/dense_crf.h"
#include "beyond/crf/mask_refinement.h"
#include "beyond/data/formats/npy.h"
#include "beyond/data/formats/png_image.h"
#include "beyond/data/formats/voc.h"
#include "commands.h"

namespace beyond::cli {
namespace {

struct CrfArgs {
  std::string image, unary, probs, out, marginals;
  crf::Options model;
};

/// The unary [L, H, W] from --unary (-log p) or --probs (p), checked against the image's size.
std::vector<float> read_unary(const CrfArgs& a, int64_t height, int64_t width, int64_t& labels) {
  const bool from_probs = !a.probs.empty();
  const std::string& path = from_probs ? a.probs : a.unary;
  const std::string expected = str("[L, ", height, ", ", width, "] (labels, height, width of ", a.image, ") of ",
                                   from_probs ? "probabilities" : "-log p");
  npy::Float32Array array = npy::read_float32(path, 3, expected);
  BEYOND_CHECK(array.shape[1] == height && array.shape[2] == width, path, ": has shape ",
               npy::shape_string(array.shape), " but the image ", a.image, " is ", width, "x", height,
               " (width x height); expected float32 ", expected);
  labels = array.shape[0];
  BEYOND_CHECK(labels >= 1, path, ": has no labels (shape ", npy::shape_string(array.shape), "); expected float32 ", expected);
  const int64_t n = height * width;
  for (int64_t i = 0; i < static_cast<int64_t>(array.data.size()); ++i) {
    const float v = array.data[i];
    const bool ok = from_probs ? std::isfinite(v) && v >= 0.0f : std::isfinite(v);
    BEYOND_CHECK(ok, path, ": value ", v, " at label ", i / n, ", pixel (x ", (i % n) % width, ", y ", (i % n) / width,
                 "); expected ", from_probs ? "finite probabilities >= 0" : "finite -log p", " in float32 ", expected);
  }
  if (!from_probs) return std::move(array.data);
  std::vector<float> unary(array.data.size());
  for (size_t i = 0; i < unary.size(); ++i) unary[i] = -std::log(std::min(1.0f, std::max(1e-5f, array.data[i])));
  return unary;
}

/// The CRF model's flags, shared by `crf` and `refine` (pydensecrf's names and defaults).
void add_model_flags(CLI::App& cmd, crf::Options& model) {
  cmd.add_option("--iterations", model.iterations_, "mean-field iterations")->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd.add_option("--gaussian-sxy", model.gaussian_sxy_, "smoothness kernel: standard deviation in pixels")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd.add_option("--gaussian-compat", model.gaussian_compat_, "smoothness kernel: Potts weight")->capture_default_str();
  cmd.add_option("--bilateral-sxy", model.bilateral_sxy_, "appearance kernel: standard deviation in pixels")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd.add_option("--bilateral-srgb", model.bilateral_srgb_, "appearance kernel: standard deviation in colour (0-255)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd.add_option("--bilateral-compat", model.bilateral_compat_, "appearance kernel: Potts weight")->capture_default_str();
}

/// The photograph as RGB8, saying what was converted.
png_image::RgbImage read_photo(const std::string& path) {
  png_image::RgbImage image = png_image::read_rgb8(path);
  if (image.source_channels != 3)
    log::info(str(path, ": ", image.source_channels == 1   ? "grey image converted to RGB"
                              : image.source_channels == 2 ? "grey + alpha image converted to RGB (alpha dropped)"
                                                           : "RGBA image converted to RGB (alpha dropped)"));
  return image;
}

void run_crf(const CrfArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  const png_image::RgbImage image = read_photo(a.image);
  int64_t labels = 0;
  const std::vector<float> unary = read_unary(a, image.height, image.width, labels);
  BEYOND_CHECK(labels <= 256, a.out, ": cannot hold ", labels, " labels (", a.unary.empty() ? a.probs : a.unary,
               " has shape [", labels, ", ", image.height, ", ", image.width,
               "]): a PNG label image stores labels 0..255; use at most 256 labels");
  const auto t1 = std::chrono::steady_clock::now();
  crf::DenseCRF model(image.width, image.height, labels);
  model.set_unary_energy(unary);
  model.add_pairwise_gaussian(a.model.gaussian_sxy_, a.model.gaussian_compat_);
  model.add_pairwise_bilateral(a.model.bilateral_sxy_, a.model.bilateral_srgb_, image.rgb.data(), a.model.bilateral_compat_);
  const std::vector<float> q = model.inference(a.model.iterations_);
  const auto t2 = std::chrono::steady_clock::now();
  const std::vector<int32_t> map = crf::map_labels(q, labels, image.width * image.height);
  voc::LabelImage out;
  out.height = image.height;
  out.width = image.width;
  out.labels.assign(map.begin(), map.end());
  voc::write_label_png(a.out, out);
  if (!a.marginals.empty()) npy::write_float32(a.marginals, {labels, image.height, image.width}, q.data());
  const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  log::info(str("crf: ", image.width, "x", image.height, ", ", labels, " labels, ", a.model.iterations_,
                " iterations: read ", ms(t1 - t0), " ms, CRF ", ms(t2 - t1), " ms; wrote ", a.out,
                a.marginals.empty() ? "" : " and " + a.marginals));
}

struct RefineArgs {
  std::string image, box, mask, out;
  crf::Options model;
  crf::MaskPrior prior;
};

/// "x,y,w,h" -> a box; a UsageError for anything but four integers.
crf::PixelBox parse_box(const std::string& text) {
  crf::PixelBox box{};
  size_t start = 0;
  for (size_t k = 0; k < 4; ++k) {
    const size_t end = text.find(',', start);
    const std::string part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    size_t used = 0;
    bool ok = !part.empty() && (k == 3) == (end == std::string::npos);
    try {
      if (ok) box[k] = std::stoll(part, &used);
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok || used != part.size())
      throw UsageError(str("refine: --box '", text, "' is not x,y,w,h (four integers in pixels: left, top, width, height)"));
    start = end + 1;
  }
  return box;
}

void run_refine(const RefineArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  const png_image::RgbImage image = read_photo(a.image);
  std::vector<uint8_t> coarse;
  if (!a.box.empty()) {
    const crf::PixelBox box = parse_box(a.box);
    try {
      coarse = crf::box_mask(image.width, image.height, box);
    } catch (const Error& e) {
      throw Error(str("refine: --box of ", a.image, ": ", e.what()));
    }
  } else {
    const png_image::RgbImage mask = png_image::read_rgb8(a.mask);
    BEYOND_CHECK(mask.width == image.width && mask.height == image.height, "refine: the mask ", a.mask, " is ",
                 mask.width, "x", mask.height, " but the image ", a.image, " is ", image.width, "x", image.height,
                 " (width x height); the mask must have the image's size");
    coarse.resize(static_cast<size_t>(image.width * image.height));
    for (size_t i = 0; i < coarse.size(); ++i)
      coarse[i] = (mask.rgb[3 * i] | mask.rgb[3 * i + 1] | mask.rgb[3 * i + 2]) != 0;
    BEYOND_CHECK(std::find(coarse.begin(), coarse.end(), 1) != coarse.end(), "refine: the mask ", a.mask,
                 " has no object pixels (all are 0); nonzero pixels mark the object");
  }
  const auto refined = crf::refine_mask(image.rgb.data(), image.width, image.height, coarse, !a.box.empty(), a.model, a.prior);
  png_image::write_grey8(a.out, refined, image.width, image.height);
  int64_t before = 0, after = 0;
  for (size_t i = 0; i < coarse.size(); ++i) before += coarse[i] != 0, after += refined[i] != 0;
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  log::info(str("refine: ", image.width, "x", image.height, ", coarse ", before, " px -> refined ", after, " px (IoU ",
                crf::mask_iou(coarse, refined), ") in ", ms, " ms; wrote ", a.out));
}

}  // namespace

void add_refine(CLI::App& app) {
  auto a = std::make_shared<RefineArgs>();
  auto* cmd = app.add_subcommand(
      "refine", "refine a coarse object mask or box on a photograph with the dense CRF: image + box|mask -> 0/255 mask");
  cmd->add_option("--image", a->image, "the photograph, PNG (grey is replicated, alpha dropped)")->required();
  auto* box = cmd->add_option("--box", a->box, "a box around the object: x,y,w,h in pixels (left, top, width, height)");
  auto* mask = cmd->add_option("--mask", a->mask, "a coarse mask PNG of the image's size: nonzero pixels are the object");
  box->excludes(mask);
  mask->excludes(box);
  cmd->add_option("--out", a->out, "the refined mask: 8-bit grey PNG, 255 object, 0 background")->required();
  cmd->add_option("--band", a->prior.band, "width in pixels of the uncertain band at the coarse edge (0 = 15% (mask) "
                  "or 25% (box) of the shorter side of the object's bounding box)")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--inside", a->prior.inside, "p(object) deep inside a coarse mask")->check(CLI::Range(0.5, 1.0))
      ->capture_default_str();
  cmd->add_option("--inside-box", a->prior.inside_box, "p(object) deep inside a box")->check(CLI::Range(0.5, 1.0))
      ->capture_default_str();
  cmd->add_option("--outside", a->prior.outside, "p(object) far outside a coarse mask (outside a box: 0.02)")
      ->check(CLI::Range(0.0, 0.5))->capture_default_str();
  add_model_flags(*cmd, a->model);
  cmd->callback([a] {
    if (a->box.empty() == a->mask.empty()) throw UsageError("refine: give the coarse object as --box x,y,w,h or --mask M.png");
    run_refine(*a);
  });
}

void add_crf(CLI::App& app) {
  auto a = std::make_shared<CrfArgs>();
  auto* cmd = app.add_subcommand(
      "crf", "dense CRF post-processing (Krähenbühl & Koltun; pydensecrf's model): unary + image -> labels");
  cmd->add_option("--image", a->image, "the RGB image, PNG (grey is replicated, alpha dropped)")->required();
  auto* unary = cmd->add_option("--unary", a->unary, "unary energy -log p: float32 .npy of shape [L, H, W]");
  auto* probs = cmd->add_option("--probs", a->probs, "probabilities p: float32 .npy of shape [L, H, W] (clipped at 1e-5)");
  unary->excludes(probs);
  probs->excludes(unary);
  cmd->add_option("--out", a->out, "labels (argmax of the marginals) as a palette PNG")->required();
  cmd->add_option("--marginals", a->marginals, "also write the marginals Q: float32 .npy of shape [L, H, W]");
  add_model_flags(*cmd, a->model);
  cmd->callback([a] {
    if (a->unary.empty() == a->probs.empty()) throw UsageError("crf: give the unary as --unary U.npy or --probs P.npy");
    run_crf(*a);
  });
}

}  // namespace beyond::cli
