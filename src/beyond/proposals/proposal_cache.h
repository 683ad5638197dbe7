#pragma once
/// Selective Search proposals kept on disk, one file per image and options, so that Fast R-CNN
/// training (many epochs over the same images) computes them once. The file name is a hash of the
/// image's absolute path, its size and modification time, and every option that changes the result;
/// the file repeats that key, so a hash collision or a stale file is recomputed, not trusted. Files
/// are written atomically: concurrent writers and interrupted runs leave whole files only.
///
///   auto boxes = beyond::proposals::cached_selective_search("scenes/val/0001.png",
///                                                           SelectiveSearchOptions::fast(), "cache/ss");
#include <string>
#include <vector>

#include "beyond/proposals/selective_search.h"

namespace beyond::proposals {

/// The proposals of the image file `image_path`: read from `cache_dir` when a file for the same image
/// and options is there, otherwise computed with selective_search and written there. A cache file
/// that cannot be parsed is recomputed with a warning. Throws beyond::Error naming the image when it
/// cannot be read or decoded.
std::vector<Box> cached_selective_search(const std::string& image_path, const SelectiveSearchOptions& options,
                                         const std::string& cache_dir);

/// The cache file `cached_selective_search` uses for this image and options.
std::string proposal_cache_path(const std::string& image_path, const SelectiveSearchOptions& options,
                                const std::string& cache_dir);

}  // namespace beyond::proposals
