/// Dense CRF speed and memory with the densecrf fixture's model (21 labels, Gaussian sxy 3 / Potts 3,
/// bilateral sxy 80 srgb 13 / Potts 10, 10 mean-field iterations) at 320x213, 500x375 and 1024x768,
/// on 1 and 2 threads. Inputs are the fixture's coffee image and unary resampled bilinearly to each
/// size (deterministic).
///
///   dense_crf_speed [FIXTURE_DIR (default tests/data/densecrf)] [--repeat N] [--threads 1,2]
///                   [--sizes 320x213,500x375,1024x768]
///
/// For each size and thread count a child process (fork) builds the CRF (features, lattices,
/// normalisations: "build") and runs inference ("infer") N times; it reports the median of each and
/// the peak memory the CRF added: VmHWM after the runs minus VmRSS before them (the peak is reset
/// through /proc/self/clear_refs first), with the inputs already in memory and the returned
/// marginals counted. The last stdout line is JSON.
#include <omp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "beyond/core/error.h"
#include "beyond/crf/dense_crf.h"

using namespace beyond;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kW = 320, kH = 213, kL = 21;

std::vector<char> read_bytes(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> b(n);
  in.read(b.data(), static_cast<std::streamsize>(n));
  BEYOND_CHECK(in, "cannot read ", n, " bytes from ", path);
  return b;
}

/// Bilinear resampling of an interleaved [h, w, c] float image to [H, W, c] (pixel centres aligned).
std::vector<float> resample(const std::vector<float>& src, int64_t w, int64_t h, int64_t c, int64_t W, int64_t H) {
  std::vector<float> out(static_cast<size_t>(W * H * c));
  for (int64_t y = 0; y < H; ++y) {
    const double sy = std::clamp((y + 0.5) * h / H - 0.5, 0.0, double(h - 1));
    const int64_t y0 = static_cast<int64_t>(sy), y1 = std::min(y0 + 1, h - 1);
    const double fy = sy - y0;
    for (int64_t x = 0; x < W; ++x) {
      const double sx = std::clamp((x + 0.5) * w / W - 0.5, 0.0, double(w - 1));
      const int64_t x0 = static_cast<int64_t>(sx), x1 = std::min(x0 + 1, w - 1);
      const double fx = sx - x0;
      for (int64_t k = 0; k < c; ++k) {
        const double v = (1 - fy) * ((1 - fx) * src[(y0 * w + x0) * c + k] + fx * src[(y0 * w + x1) * c + k]) +
                         fy * ((1 - fx) * src[(y1 * w + x0) * c + k] + fx * src[(y1 * w + x1) * c + k]);
        out[(y * W + x) * c + k] = static_cast<float>(v);
      }
    }
  }
  return out;
}

long status_kib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  return -1;
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

/// CPU time of the process (all threads), ms: on a loaded machine, a single thread's CPU time is a
/// better estimate of its time on an idle one than the wall clock.
double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Input {
  int64_t w, h;
  std::vector<uint8_t> rgb;   // [H, W, 3]
  std::vector<float> unary;   // [L, H, W]
};

/// Runs in the child: prints one result line "w h threads build_ms infer_ms peak_mib".
void measure(const Input& in, int threads, int repeat) {
  omp_set_num_threads(threads);
  { std::ofstream("/proc/self/clear_refs") << "5"; }
  const long rss0 = status_kib("VmRSS");
  std::vector<double> build, infer, cpu;
  float checksum = 0;
  for (int r = 0; r < repeat; ++r) {
    const double c0 = cpu_ms();
    auto t0 = Clock::now();
    crf::DenseCRF model(in.w, in.h, kL);
    model.set_unary_energy(in.unary);
    model.add_pairwise_gaussian(3, 3);
    model.add_pairwise_bilateral(80, 13, in.rgb.data(), 10);
    build.push_back(ms_since(t0));
    t0 = Clock::now();
    const std::vector<float> q = model.inference(10);
    infer.push_back(ms_since(t0));
    cpu.push_back(cpu_ms() - c0);
    checksum += q[q.size() / 2];
  }
  const long hwm = status_kib("VmHWM");
  std::printf("%lld %lld %d %.1f %.1f %.1f %.1f %g\n", static_cast<long long>(in.w), static_cast<long long>(in.h),
              threads, median(build), median(infer), median(cpu), (hwm - rss0) / 1024.0, checksum);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "tests/data/densecrf";
  int repeat = 5;
  std::vector<int> thread_counts = {1, 2};
  std::vector<std::pair<int64_t, int64_t>> sizes = {{320, 213}, {500, 375}, {1024, 768}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--threads" && i + 1 < argc) {
      thread_counts.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) thread_counts.push_back(std::max(1, std::atoi(item.c_str())));
    } else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) {
        long long w = 0, h = 0;
        BEYOND_CHECK(std::sscanf(item.c_str(), "%lldx%lld", &w, &h) == 2 && w > 0 && h > 0,
                     "--sizes: expected WxH items like 500x375, got '", item, "'");
        sizes.emplace_back(w, h);
      }
    } else {
      dir = a;
    }
  }
  const auto rgb8 = read_bytes(dir + "/coffee_320x213.rgb", kW * kH * 3);
  const auto unary_bytes = read_bytes(dir + "/coffee_320x213_unary_f32_MxN.bin", kW * kH * kL * 4);
  std::vector<float> rgb(rgb8.size()), unary(kW * kH * kL);
  for (size_t i = 0; i < rgb8.size(); ++i) rgb[i] = static_cast<uint8_t>(rgb8[i]);
  std::copy_n(reinterpret_cast<const float*>(unary_bytes.data()), unary.size(), unary.data());

  std::cout << "dense CRF, densecrf fixture model (21 labels, 10 iterations); median of " << repeat << " runs\n";
  std::cout << "  size       threads  build ms  infer ms  total ms  cpu ms  peak MiB added\n";
  std::ostringstream json;
  json << "[";
  bool first = true;
  for (const auto& [w, h] : sizes) {
    Input in{w, h, {}, {}};
    const auto rgb_f = resample(rgb, kW, kH, 3, w, h);
    in.rgb.resize(rgb_f.size());
    for (size_t i = 0; i < rgb_f.size(); ++i) in.rgb[i] = static_cast<uint8_t>(std::lround(std::clamp(rgb_f[i], 0.0f, 255.0f)));
    const auto u = resample(unary, kW, kH, kL, w, h);  // [H, W, L] -> planar [L, H, W]
    in.unary.resize(u.size());
    for (int64_t p = 0; p < w * h; ++p)
      for (int64_t l = 0; l < kL; ++l) in.unary[l * w * h + p] = u[p * kL + l];
    for (int threads : thread_counts) {
      int fds[2];
      std::cout.flush();
      BEYOND_CHECK(pipe(fds) == 0, "pipe failed");
      const pid_t pid = fork();
      if (pid == 0) {
        dup2(fds[1], 1);
        measure(in, threads, repeat);
        _exit(0);
      }
      close(fds[1]);
      std::string line;
      char buf[256];
      ssize_t got;
      while ((got = read(fds[0], buf, sizeof(buf))) > 0) line.append(buf, static_cast<size_t>(got));
      close(fds[0]);
      int status = 0;
      waitpid(pid, &status, 0);
      long long W = 0, H = 0;
      int T = 0;
      double build = 0, infer = 0, cpu = 0, mib = 0;
      BEYOND_CHECK(std::sscanf(line.c_str(), "%lld %lld %d %lf %lf %lf %lf", &W, &H, &T, &build, &infer, &cpu, &mib) == 7,
                   "child failed: ", line);
      std::printf("  %4lldx%-4lld  %7d  %8.1f  %8.1f  %8.1f  %6.1f  %14.1f\n", W, H, T, build, infer, build + infer, cpu, mib);
      std::fflush(stdout);
      json << (first ? "" : ", ") << "{\"width\": " << W << ", \"height\": " << H << ", \"threads\": " << T
           << ", \"build_ms\": " << build << ", \"infer_ms\": " << infer << ", \"cpu_ms\": " << cpu
           << ", \"peak_mib\": " << mib << "}";
      first = false;
    }
  }
  json << "]";
  std::cout << json.str() << "\n";
  return 0;
}
