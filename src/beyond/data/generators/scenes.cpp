#include "beyond/data/generators/scenes.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/core/progress.h"
#include "beyond/data/fashion_mnist.h"
#include "beyond/data/generators/backgrounds.h"
#include "beyond/data/generators/random.h"
#include "beyond/data/generators/sprite.h"
#include "beyond/data/generators/stick_figure.h"
#include "beyond/data/mask/rle.h"

namespace beyond::data {
namespace detail {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kItemSide = 28;

/// An object on its way into a scene.
struct Placed {
  Sprite sprite;
  int64_t category_id = 0;
  int64_t source_index = -1;
  std::array<cv::Point2d, kPersonKeypoints> keypoints{};
  int64_t full_area = 0;  // pixels of the whole silhouette, inside the image or not
};

/// A Fashion-MNIST item: flipped, stretched, rotated and scaled to about `side` pixels, tinted, with
/// its silhouette (intensity above the threshold) as mask, centred at a random point of the image.
Placed render_item(Random& rng, const ItemPool& pool, int64_t item, double side, const ScenesOptions& options) {
  cv::Mat grey(kItemSide, kItemSide, CV_8UC1,
               const_cast<uint8_t*>(pool.pixels.data() + item * kItemSide * kItemSide));
  const bool flip = rng.chance(0.5);
  const double aspect = std::exp(std::clamp(0.12 * rng.normal(), -0.3, 0.3));
  const double angle = rng.chance(0.1) ? rng.uniform(-kPi, kPi) : 0.2 * rng.normal();
  const double sx = side / kItemSide * std::sqrt(aspect) * (flip ? -1 : 1), sy = side / kItemSide / std::sqrt(aspect);
  const double c = std::cos(angle), s = std::sin(angle);
  // Forward map (source pixel centre -> canvas), centred on the canvas.
  const double a00 = c * sx, a01 = -s * sy, a10 = s * sx, a11 = c * sy;
  double half_w = 0, half_h = 0;
  for (const auto& [dx, dy] : {std::pair{14.0, 14.0}, {14.0, -14.0}}) {
    half_w = std::max(half_w, std::fabs(a00 * dx + a01 * dy));
    half_h = std::max(half_h, std::fabs(a10 * dx + a11 * dy));
  }
  const int width = static_cast<int>(std::ceil(2 * half_w)) + 2, height = static_cast<int>(std::ceil(2 * half_h)) + 2;
  const double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0, m = (kItemSide - 1) / 2.0;
  cv::Mat forward = (cv::Mat_<double>(2, 3) << a00, a01, cx - a00 * m - a01 * m, a10, a11, cy - a10 * m - a11 * m);
  cv::Mat intensity;
  // Bicubic: a thresholded bilinear surface shows the 28x28 grid as kinks in the outline of big items.
  cv::warpAffine(grey, intensity, forward, cv::Size(width, height), cv::INTER_CUBIC, cv::BORDER_CONSTANT, 0);

  Placed placed;
  placed.category_id = pool.labels[item] + 1;
  placed.source_index = pool.source_index[item];
  const int threshold = static_cast<int>(std::lround(options.item_threshold() * 255));
  // The silhouette: intensity above the threshold, with enclosed holes (dark prints and seams inside
  // the garment) filled, so that an item is one solid piece rather than see-through lace.
  cv::Mat padded;
  cv::copyMakeBorder(intensity > threshold, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  cv::floodFill(padded, cv::Point(0, 0), 128);
  placed.sprite.mask = padded(cv::Rect(1, 1, width, height)) != 128;
  placed.sprite.mask.setTo(1, placed.sprite.mask);
  // Colour: the tint modulated by the item's own intensity (its seams, prints and folds stay
  // visible), with a gentle light gradient across it.
  const cv::Vec3d tint = random_object_colour(rng);
  const double light_angle = rng.uniform(0, 2 * kPi), light = rng.uniform(0.0, 0.35);
  const double lx = std::cos(light_angle) * light / std::max(width, height), ly = std::sin(light_angle) * light / std::max(width, height);
  const double floor_level = rng.uniform(0.2, 0.45);
  // A third of the items get a woven pattern (stripes or checks), in the item's own frame.
  const int pattern = rng.chance(0.35) ? static_cast<int>(rng.integer(1, 2)) : 0;
  const double period = rng.uniform(3, 10) * std::max(1.0, side / 60), contrast = rng.uniform(0.08, 0.25);
  const double pattern_angle = angle + (rng.chance(0.5) ? 0 : kPi / 4);
  const double pc = std::cos(pattern_angle) * 2 * kPi / period, ps = std::sin(pattern_angle) * 2 * kPi / period;
  placed.sprite.rgb = cv::Mat::zeros(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (!placed.sprite.mask.at<uint8_t>(y, x)) continue;
      const double v = intensity.at<uint8_t>(y, x) / 255.0;
      double shade = (floor_level + (1 - floor_level) * v) * (1 + lx * (x - cx) + ly * (y - cy));
      if (pattern == 1) {
        shade *= 1 + contrast * (std::sin(pc * x + ps * y) > 0 ? 1 : -1);
      } else if (pattern == 2) {
        shade *= 1 + contrast * (std::sin(pc * x + ps * y) * std::sin(-ps * x + pc * y) > 0 ? 1 : -1);
      }
      cv::Vec3b& p = placed.sprite.rgb.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k) p[k] = cv::saturate_cast<uint8_t>(tint[k] * shade);
    }
  }
  return placed;
}

/// Paints the kept objects' ids in z-order: owner[y * size + x] = index of the top-most object, or -1.
std::vector<int16_t> owners(const std::vector<Placed>& objects, const std::vector<bool>& kept, int size) {
  std::vector<int16_t> owner(static_cast<size_t>(size) * size, -1);
  for (size_t i = 0; i < objects.size(); ++i) {
    if (!kept[i]) continue;
    const Sprite& sp = objects[i].sprite;
    for (int y = std::max(0, -sp.origin.y); y < sp.mask.rows && sp.origin.y + y < size; ++y) {
      const uint8_t* m = sp.mask.ptr<uint8_t>(y);
      for (int x = std::max(0, -sp.origin.x); x < sp.mask.cols && sp.origin.x + x < size; ++x)
        if (m[x]) owner[static_cast<size_t>(sp.origin.y + y) * size + sp.origin.x + x] = static_cast<int16_t>(i);
    }
  }
  return owner;
}

/// Removes objects (repeatedly: removing one uncovers those beneath it) until every kept object has
/// at least min_visible of its pixels and min_area pixels visible. Returns the final owner map.
std::vector<int16_t> cull_occluded(const std::vector<Placed>& objects, std::vector<bool>& kept,
                                   const ScenesOptions& options, int size) {
  while (true) {
    std::vector<int16_t> owner = owners(objects, kept, size);
    std::vector<int64_t> visible(objects.size(), 0);
    for (int16_t o : owner)
      if (o >= 0) ++visible[o];
    bool removed = false;
    for (size_t i = 0; i < objects.size(); ++i) {
      if (!kept[i]) continue;
      if (visible[i] < options.min_area() ||
          static_cast<double>(visible[i]) < options.min_visible() * static_cast<double>(objects[i].full_area)) {
        kept[i] = false;
        removed = true;
      }
    }
    if (!removed) return owner;
  }
}

/// Pastes one object: first a soft drop shadow offset down-right, then the object's pixels.
void paste(cv::Mat& image, const Placed& object, Random& rng) {
  const Sprite& sp = object.sprite;
  const int size = image.rows;
  const int offset = std::max(1, static_cast<int>(std::lround(0.05 * std::sqrt(static_cast<double>(object.full_area)))));
  const double darkness = rng.uniform(0.55, 0.85);
  for (int y = 0; y < sp.mask.rows; ++y) {
    const int iy = sp.origin.y + y + offset;
    if (iy < 0 || iy >= size) continue;
    for (int x = 0; x < sp.mask.cols; ++x) {
      const int ix = sp.origin.x + x + offset;
      if (ix < 0 || ix >= size || !sp.mask.at<uint8_t>(y, x)) continue;
      cv::Vec3b& p = image.at<cv::Vec3b>(iy, ix);
      for (int k = 0; k < 3; ++k) p[k] = cv::saturate_cast<uint8_t>(p[k] * darkness);
    }
  }
  for (int y = std::max(0, -sp.origin.y); y < sp.mask.rows && sp.origin.y + y < size; ++y)
    for (int x = std::max(0, -sp.origin.x); x < sp.mask.cols && sp.origin.x + x < size; ++x)
      if (sp.mask.at<uint8_t>(y, x)) image.at<cv::Vec3b>(sp.origin.y + y, sp.origin.x + x) = sp.rgb.at<cv::Vec3b>(y, x);
}

/// Camera grain: the same small Gaussian noise on the three channels of each pixel.
void add_grain(cv::Mat& image, Random& rng) {
  const double sigma = rng.uniform(1.0, 3.0);
  for (int y = 0; y < image.rows; ++y) {
    cv::Vec3b* row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x) {
      const double n = sigma * rng.normal();
      for (int k = 0; k < 3; ++k) row[x][k] = cv::saturate_cast<uint8_t>(row[x][k] + n);
    }
  }
}

/// zlib level 1: half the CPU time of level 6 (which was 58% of the generator's time) for 7% more bytes.
std::vector<uint8_t> encode_png(const cv::Mat& image) {
  std::vector<uint8_t> bytes;
  BEYOND_CHECK(cv::imencode(".png", image, bytes, {cv::IMWRITE_PNG_COMPRESSION, 1}), "PNG encoding failed");
  return bytes;
}

/// Plain write (no fsync): thousands of images would otherwise wait on the disk one by one. The
/// annotation files, written atomically after every image, are what marks a split complete.
void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  BEYOND_CHECK(out, "cannot open ", path, " for writing (check that the directory is writable)");
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  BEYOND_CHECK(out, "failed writing ", bytes.size(), " bytes to ", path, " (is the disk full?)");
}

std::string image_name(int64_t id) {
  char name[32];
  std::snprintf(name, sizeof(name), "%06lld.png", static_cast<long long>(id));
  return name;
}

}  // namespace
}  // namespace detail

void ScenesOptions::validate() const {
  BEYOND_CHECK_USAGE(train() >= 0 && val() >= 0 && test() >= 0, "scenes: image counts must be >= 0, got --train ",
                     train(), " --val ", val(), " --test ", test());
  BEYOND_CHECK_USAGE(train() + val() + test() > 0, "scenes: nothing to generate (--train, --val and --test are all 0)");
  BEYOND_CHECK_USAGE(std::max({train(), val(), test()}) <= 999999,
                     "scenes: at most 999999 images per split (file names have 6 digits)");
  BEYOND_CHECK_USAGE(size() >= 64 && size() <= 4096, "scenes: --size must be in [64, 4096] pixels, got ", size());
  BEYOND_CHECK_USAGE(min_items() >= 0 && max_items() >= min_items() && max_items() <= 100,
                     "scenes: need 0 <= min_items <= max_items <= 100, got ", min_items(), " and ", max_items());
  BEYOND_CHECK_USAGE(max_persons() >= 0 && max_persons() <= 20, "scenes: max_persons must be in [0, 20], got ",
                     max_persons());
  BEYOND_CHECK_USAGE(min_visible() >= 0 && min_visible() <= 1, "scenes: min_visible must be in [0, 1], got ",
                     min_visible());
  BEYOND_CHECK_USAGE(min_area() >= 1, "scenes: min_area must be >= 1 pixel, got ", min_area());
  BEYOND_CHECK_USAGE(item_threshold() > 0 && item_threshold() < 1, "scenes: item_threshold must be in (0, 1), got ",
                     item_threshold());
  BEYOND_CHECK_USAGE(threads() >= 0, "scenes: threads must be >= 0, got ", threads());
}

std::string ScenesOptions::to_json() const {
  nlohmann::ordered_json j;
  j["generator"] = "beyond scenes";
  j["version"] = 1;
  j["images"] = {{"train", train()}, {"val", val()}, {"test", test()}};
  j["size"] = size();
  j["seed"] = seed();
  j["min_items"] = min_items();
  j["max_items"] = max_items();
  j["max_persons"] = max_persons();
  j["min_visible"] = min_visible();
  j["min_area"] = min_area();
  j["item_threshold"] = item_threshold();
  j["ignore_border"] = ignore_border();
  j["sources"] = {{"train", "Fashion-MNIST train images 0..59999"},
                  {"val", "Fashion-MNIST test images 0..4999"},
                  {"test", "Fashion-MNIST test images 5000..9999"}};
  return j.dump(2) + "\n";
}

const std::vector<std::string>& scene_splits() {
  static const std::vector<std::string> splits = {"train", "val", "test"};
  return splits;
}

std::vector<coco::Category> scene_categories() {
  std::vector<coco::Category> categories;
  const auto& names = class_names();
  for (size_t i = 0; i < names.size(); ++i) {
    coco::Category c;
    c.id = static_cast<int64_t>(i) + 1;
    c.name = names[i];
    c.supercategory = "fashion";
    categories.push_back(c);
  }
  coco::Category person;
  person.id = kPersonCategory;
  person.name = "person";
  person.supercategory = "person";
  person.keypoints = person_keypoint_names();
  person.skeleton = person_skeleton();
  categories.push_back(person);
  return categories;
}

std::vector<ItemPool> load_item_pools(const std::string& fashion_mnist_dir, int64_t limit) {
  const auto to_pool = [](const LabelledImages& images, const std::string& source, int64_t begin, int64_t end) {
    ItemPool pool;
    pool.source = source;
    const torch::Tensor bytes =
        images.images.narrow(0, begin, end - begin).mul(255).round_().to(torch::kUInt8).contiguous();
    pool.pixels.assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel());
    const torch::Tensor labels = images.labels.narrow(0, begin, end - begin).contiguous();
    pool.labels.assign(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + labels.numel());
    for (int64_t i = begin; i < end; ++i) pool.source_index.push_back(i);
    return pool;
  };
  const LabelledImages train = load_fashion_mnist(fashion_mnist_dir, "train", limit);
  const LabelledImages test = load_fashion_mnist(fashion_mnist_dir, "test");
  const int64_t half = test.labels.size(0) / 2;
  const int64_t take = limit > 0 ? std::min(limit, half) : half;
  return {to_pool(train, "train", 0, train.labels.size(0)), to_pool(test, "test", 0, take),
          to_pool(test, "test", half, half + take)};
}

Scene render_scene(const ItemPool& pool, const ScenesOptions& options, int64_t split, int64_t index) {
  BEYOND_CHECK(pool.size() > 0, "scenes: the item pool of split ", split, " is empty");
  const int size = static_cast<int>(options.size());
  Random rng(Random::mix({options.seed(), static_cast<uint64_t>(split), static_cast<uint64_t>(index)}));
  cv::Mat image = render_background(rng, size, size);

  // What goes in, in a random z-order.
  const int64_t n_items = rng.integer(options.min_items(), options.max_items());
  const int64_t n_persons = rng.integer(0, options.max_persons());
  std::vector<bool> is_person(static_cast<size_t>(n_items + n_persons), false);
  std::fill(is_person.begin() + n_items, is_person.end(), true);
  for (size_t i = is_person.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.index(static_cast<int64_t>(i)));
    const bool t = is_person[i - 1];
    is_person[i - 1] = is_person[j];
    is_person[j] = t;
  }
  std::vector<detail::Placed> objects;
  for (bool person : is_person) {
    detail::Placed placed;
    if (person) {
      const double height = rng.log_uniform(0.12 * size, 1.2 * size);
      const cv::Point2d pelvis(rng.uniform(0, size), rng.uniform(0.1 * size, 1.0 * size));
      StickFigure figure = render_stick_figure(rng, height, pelvis);
      placed.sprite = figure.sprite;
      placed.keypoints = figure.keypoints;
      placed.category_id = kPersonCategory;
    } else {
      // A third small (under 32^2 pixels of area at 320 pixels), the rest log-uniform up to nearly the
      // whole image: about COCO's mix of small / medium / large once occlusion has taken its share.
      const double side = rng.chance(0.3) ? rng.log_uniform(0.04 * size, 0.13 * size) : rng.log_uniform(0.13 * size, 1.0 * size);
      const int64_t item = rng.index(pool.size());
      placed = detail::render_item(rng, pool, item, side, options);
      const cv::Point centre(static_cast<int>(rng.index(size)), static_cast<int>(rng.index(size)));
      placed.sprite.origin = centre - cv::Point(placed.sprite.mask.cols / 2, placed.sprite.mask.rows / 2);
    }
    placed.full_area = cv::countNonZero(placed.sprite.mask);
    objects.push_back(std::move(placed));
  }

  std::vector<bool> kept(objects.size(), true);
  const std::vector<int16_t> owner = detail::cull_occluded(objects, kept, options, size);
  for (size_t i = 0; i < objects.size(); ++i)
    if (kept[i]) detail::paste(image, objects[i], rng);
  detail::add_grain(image, rng);

  Scene scene;
  scene.height = scene.width = size;
  scene.rgb.assign(image.data, image.data + image.total() * 3);
  std::vector<int64_t> category(objects.size());
  for (size_t i = 0; i < objects.size(); ++i) category[i] = objects[i].category_id;
  scene.labels.assign(owner.size(), 0);
  for (size_t p = 0; p < owner.size(); ++p)
    if (owner[p] >= 0) scene.labels[p] = static_cast<uint8_t>(category[owner[p]]);
  if (options.ignore_border()) {
    // 255 on both sides of every boundary between two different owners (object / object or
    // object / background).
    std::vector<uint8_t> border(owner.size(), 0);
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const size_t p = static_cast<size_t>(y) * size + x;
        if (x + 1 < size && owner[p] != owner[p + 1]) border[p] = border[p + 1] = 1;
        if (y + 1 < size && owner[p] != owner[p + size]) border[p] = border[p + size] = 1;
      }
    }
    for (size_t p = 0; p < owner.size(); ++p)
      if (border[p]) scene.labels[p] = 255;
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    if (!kept[i]) continue;
    SceneObject object;
    object.category_id = objects[i].category_id;
    object.source_index = objects[i].source_index;
    object.full_area = objects[i].full_area;
    object.mask.assign(owner.size(), 0);
    for (size_t p = 0; p < owner.size(); ++p) object.mask[p] = owner[p] == static_cast<int16_t>(i);
    if (object.category_id == kPersonCategory) {
      for (const cv::Point2d& k : objects[i].keypoints) {
        const int x = static_cast<int>(std::floor(k.x)), y = static_cast<int>(std::floor(k.y));
        if (x < 0 || y < 0 || x >= size || y >= size) {
          object.keypoints.insert(object.keypoints.end(), {0.0, 0.0, 0.0});
          continue;
        }
        const int16_t top = owner[static_cast<size_t>(y) * size + x];
        // Hundredths of a pixel, staying inside the pixel the visibility was judged on.
        const auto hundredths = [](double v, int pixel) { return pixel + std::min(0.99, std::round((v - pixel) * 100) / 100); };
        object.keypoints.insert(object.keypoints.end(),
                                {hundredths(k.x, x), hundredths(k.y, y), top == static_cast<int16_t>(i) ? 2.0 : 1.0});
      }
    }
    scene.objects.push_back(std::move(object));
  }
  return scene;
}

std::vector<coco::Annotation> scene_annotations(const Scene& scene) {
  std::vector<coco::Annotation> annotations;
  for (const SceneObject& object : scene.objects) {
    coco::Annotation a;
    a.category_id = object.category_id;
    a.segmentation.kind = coco::Segmentation::Kind::CompressedRle;
    a.segmentation.rle = mask::encode(object.mask.data(), scene.height, scene.width);
    a.bbox = mask::to_box(a.segmentation.rle);
    a.area = static_cast<double>(mask::area(a.segmentation.rle));
    a.keypoints = object.keypoints;
    for (size_t k = 2; k < a.keypoints.size(); k += 3) a.num_keypoints += a.keypoints[k] > 0;
    annotations.push_back(std::move(a));
  }
  return annotations;
}

ScenesSummary generate_scenes(const ScenesOptions& options, const std::string& out_dir) {
  namespace fs = std::filesystem;
  options.validate();
  const auto start = std::chrono::steady_clock::now();
  ensure_writable_dir(out_dir);
  for (const std::string& split : scene_splits()) {
    ensure_writable_dir((fs::path(out_dir) / split / "images").string());
    ensure_writable_dir((fs::path(out_dir) / split / "labels").string());
  }
  ensure_writable_dir((fs::path(out_dir) / "annotations").string());
  const std::vector<ItemPool> pools = load_item_pools(options.fashion_mnist_dir());
  const int64_t threads = options.threads() > 0 ? options.threads()
                                                : std::max<int64_t>(1, std::thread::hardware_concurrency());
  const std::array<int64_t, 3> counts = {options.train(), options.val(), options.test()};

  ScenesSummary summary;
  for (size_t s = 0; s < scene_splits().size(); ++s) {
    const std::string& split = scene_splits()[s];
    const int64_t n = counts[s];
    const fs::path split_dir = fs::path(out_dir) / split;
    std::vector<std::vector<coco::Annotation>> per_image(static_cast<size_t>(n));
    std::atomic<int64_t> next{0}, done{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto work = [&] {
      while (true) {
        const int64_t i = next.fetch_add(1);
        if (i >= n) return;
        try {
          const Scene scene = render_scene(pools[s], options, static_cast<int64_t>(s), i);
          const int size = static_cast<int>(scene.height);
          cv::Mat rgb(size, size, CV_8UC3, const_cast<uint8_t*>(scene.rgb.data())), bgr;
          cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
          const std::string name = detail::image_name(i + 1);
          detail::write_bytes((split_dir / "images" / name).string(), detail::encode_png(bgr));
          const cv::Mat labels(size, size, CV_8UC1, const_cast<uint8_t*>(scene.labels.data()));
          detail::write_bytes((split_dir / "labels" / name).string(), detail::encode_png(labels));
          per_image[static_cast<size_t>(i)] = scene_annotations(scene);
        } catch (...) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure) failure = std::current_exception();
          next = n;
        }
        ++done;
      }
    };
    if (n > 0) {
      std::vector<std::thread> pool;
      for (int64_t t = 0; t < std::min(threads, n); ++t) pool.emplace_back(work);
      ProgressBar bar(n, "scenes " + split);
      while (done < n && !failure) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        bar.update(done);
      }
      for (auto& t : pool) t.join();
      if (failure) std::rethrow_exception(failure);
      bar.finish();
    }

    coco::Dataset dataset;
    dataset.info_json = nlohmann::json{{"description", "beyond scenes (" + split + ")"}, {"version", "1"}}.dump();
    dataset.categories = scene_categories();
    int64_t next_id = 1;
    for (int64_t i = 0; i < n; ++i) {
      coco::Image image;
      image.id = i + 1;
      image.file_name = detail::image_name(i + 1);
      image.width = image.height = options.size();
      dataset.images.push_back(image);
      for (coco::Annotation& a : per_image[static_cast<size_t>(i)]) {
        a.id = next_id++;
        a.image_id = image.id;
        dataset.annotations.push_back(std::move(a));
      }
    }
    dataset.reindex();
    summary.images[s] = n;
    summary.objects[s] = static_cast<int64_t>(dataset.annotations.size());
    coco::write_dataset(dataset, (fs::path(out_dir) / "annotations" / ("instances_" + split + ".json")).string());
  }
  write_file_atomic((fs::path(out_dir) / "scenes.json").string(), options.to_json());
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace beyond::data
