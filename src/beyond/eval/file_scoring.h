#pragma once
/// Scoring predictions stored as files, for `beyond eval voc` and `beyond eval seg`.
///
/// VOC: the devkit's layout. Ground truth: <gt_dir>/Annotations/<id>.xml for every <id> listed in
/// <gt_dir>/ImageSets/Main/<set>.txt. Detections: the devkit's per-class result files
/// <pred_dir>/<anything>_det_<set>_<class>.txt (e.g. comp4_det_test_car.txt, as detectron2's
/// PascalVOCDetectionEvaluator and the devkit write them), one detection a line:
/// "<image id> <score> <x1> <y1> <x2> <y2>" in the annotations' 1-based inclusive pixel coordinates.
/// A class without a file has no detections (a warning); a detection on an image outside the set is
/// an error (as in the devkit).
///
/// Segmentation: label PNGs with equal names in two directories, palette PNGs (VOC's
/// SegmentationClass: the palette index is the label) or 8-bit grey PNGs (voc::read_label_png).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "beyond/data/formats/voc.h"
#include "beyond/eval/boundary_f_score.h"
#include "beyond/eval/semantic_segmentation.h"
#include "beyond/eval/voc_eval.h"

namespace beyond::eval {

/// The 20 Pascal VOC classes in the devkit's order.
std::vector<std::string> voc_class_names();
/// "a,b, c" -> {"a", "b", "c"}.
std::vector<std::string> split_names(const std::string& comma_separated);

/// The objects of a VOC annotation of the given classes (others skipped), boxes as in the file.
std::vector<VocObject> voc_objects(const voc::Annotation& annotation, const std::vector<std::string>& classes);
/// Detections of every class from the devkit's result files, per image id.
std::map<std::string, std::vector<VocDetection>> read_voc_detections(const std::string& pred_dir, const std::string& set,
                                                                     const std::vector<std::string>& classes);
/// Reads the set's ground truth and the detections and runs VocEvaluator.
VocResult evaluate_voc_files(const std::string& gt_dir, const std::string& set, const std::string& pred_dir,
                             const std::vector<std::string>& classes);

/// Accumulates every <name>.png of gt_dir against pred_dir/<name>.png; also into `boundary` when given
/// (the boundary F-score of the same pairs).
SemanticSegmentationResult evaluate_label_dirs(const std::string& gt_dir, const std::string& pred_dir,
                                               int64_t num_classes, int64_t ignore_label,
                                               BoundaryFScoreEvaluator* boundary = nullptr);

}  // namespace beyond::eval
