#pragma once
/// The boundary F-measure of semantic segmentations (Csurka, Larlus & Perronnin, "What is a good
/// evaluation measure for semantic segmentation?", BMVC 2013; the DAVIS contour accuracy F): how well
/// the predicted outlines of each class follow the true ones, which mIoU barely sees (a blob with the
/// right area but soft edges scores a good IoU and a poor boundary F). Plain C++ on label arrays.
///
///   beyond::eval::BoundaryFScoreEvaluator bf(12);          // classes 0..11, 255 ignored, 2-pixel tolerance
///   bf.process(pred.data(), gt.data(), height, width);      // per image
///   auto r = bf.evaluate();   // r.mean_f (mean over classes), r.image_mean_f, r.class_f[c] ...
///
/// Definitions, per image and per class c:
/// - Boundary pixels of a label map for class c: pixels labelled c with at least one 4-neighbour
///   (inside the image) labelled otherwise. The image frame is not a boundary. In the ground truth,
///   a neighbour with the ignore label counts as "otherwise" (the object ends there).
/// - A boundary pixel is matched when the other map has a class-c boundary pixel within the tolerance
///   d (Euclidean distance <= d). d = `tolerance_px` (default 2 pixels: about 0.45% of the 453-pixel
///   diagonal of a 320x320 scenes image, the order of DAVIS's 0.8% and Csurka's 0.75%, and independent
///   of image size so that numbers at one resolution compare), or `tolerance_fraction` x the image
///   diagonal when that is > 0.
/// - Precision P = matched predicted boundary pixels / predicted boundary pixels, recall R = matched
///   ground-truth boundary pixels / ground-truth boundary pixels, F = 2PR / (P + R) (0 when P + R = 0).
///   With no predicted boundary P = 1, with no true boundary R = 1 (DAVIS's convention), so a class
///   drawn where there is none, or missed where there is one, scores F = 0, and one that fills the whole
///   image on both sides scores 1.
/// - Ignore: predicted boundary pixels on ground-truth ignore pixels are left out of P (an ignore band
///   around objects must not count against a prediction whose edge falls inside it), but still match
///   ground-truth boundary pixels. A class "appears" in an image when it labels a non-ignored pixel of
///   the ground truth or of the prediction.
/// Averages: class_f[c] = mean F over the images where c appears; mean_f = mean of class_f over the
/// classes that appear anywhere (Csurka's mean BF score, the primary number); image_mean_f = mean over
/// images of the mean F over the classes appearing in the image. class_precision / class_recall are
/// averaged the same way as class_f. Undefined values are NaN.
#include <cstdint>
#include <string>
#include <vector>

namespace beyond::eval {

struct BoundaryFScoreOptions {
  BoundaryFScoreOptions& tolerance_px(double v) { tolerance_px_ = v; return *this; }
  BoundaryFScoreOptions& tolerance_fraction(double v) { tolerance_fraction_ = v; return *this; }
  double tolerance_px() const { return tolerance_px_; }
  double tolerance_fraction() const { return tolerance_fraction_; }
  /// The tolerance, in pixels, for an image of this size.
  double tolerance(int64_t height, int64_t width) const;

 private:
  double tolerance_px_ = 2.0;
  double tolerance_fraction_ = 0.0;
};

struct BoundaryFScoreResult {
  std::vector<double> class_f, class_precision, class_recall;  // NaN where the class never appears
  std::vector<int64_t> class_images;                            // images in which each class appears
  double mean_f = 0;
  double image_mean_f = 0;
  int64_t images = 0;
  /// "BF (mean over classes) ... per image ... tolerance ..." and a per-class table.
  std::string summary(const std::vector<std::string>& class_names = {}) const;
};

/// Counts of one image and class (what P and R are made of).
struct BoundaryCounts {
  int64_t predicted = 0, predicted_matched = 0;  // counted predicted boundary pixels, and those matched
  int64_t truth = 0, truth_matched = 0;          // ground-truth boundary pixels, and those matched
  double precision() const;
  double recall() const;
  double f() const;
};

class BoundaryFScoreEvaluator {
 public:
  explicit BoundaryFScoreEvaluator(int64_t num_classes, int64_t ignore_label = 255,
                                   BoundaryFScoreOptions options = {});
  void reset();
  /// One image's label maps, row-major height x width; `where` names it in errors. Predicted labels must
  /// lie in 0..C-1; ground-truth ones too, or be the ignore label.
  void process(const uint8_t* prediction, const uint8_t* ground_truth, int64_t height, int64_t width,
               const std::string& where = "");
  void process(const int64_t* prediction, const int64_t* ground_truth, int64_t height, int64_t width,
               const std::string& where = "");
  BoundaryFScoreResult evaluate() const;
  int64_t num_classes() const { return num_classes_; }
  const BoundaryFScoreOptions& options() const { return options_; }

 private:
  template <typename T>
  void accumulate(const T* prediction, const T* ground_truth, int64_t height, int64_t width, const std::string& where);
  int64_t num_classes_, ignore_label_;
  BoundaryFScoreOptions options_;
  std::vector<double> f_sum_, p_sum_, r_sum_;
  std::vector<int64_t> appearances_;
  double image_f_sum_ = 0;
  int64_t images_ = 0, images_with_classes_ = 0;
};

/// The per-class counts of one image (index c), without accumulating: the building block of the
/// evaluator, exposed for tests and per-image reports. Classes that do not appear have all zeros.
std::vector<BoundaryCounts> boundary_counts(const int64_t* prediction, const int64_t* ground_truth, int64_t height,
                                            int64_t width, int64_t num_classes, int64_t ignore_label,
                                            double tolerance, std::vector<bool>* appears = nullptr,
                                            const std::string& where = "");

}  // namespace beyond::eval
