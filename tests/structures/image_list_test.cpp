#include "beyond/structures/image_list.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/helpers.h"

using beyond::ImageList;
using beyond::test::error_of;

TEST(ImageList, PadsToMultipleOfDivisibility) {
  const auto a = torch::rand({3, 40, 70}), b = torch::rand({3, 65, 20});
  const ImageList list = ImageList::from_tensors({a, b}, 32, -1.0);
  EXPECT_EQ(list.tensor().sizes(), (std::vector<int64_t>{2, 3, 96, 96}));
  EXPECT_EQ(list.image_size(0), (std::array<int64_t, 2>{40, 70}));
  EXPECT_EQ(list.image_size(1), (std::array<int64_t, 2>{65, 20}));
  EXPECT_TRUE(torch::equal(list[0], a));
  EXPECT_TRUE(torch::equal(list[1], b));
  // Everything outside an image is the pad value.
  EXPECT_EQ(list.tensor()[0].slice(1, 40).ne(-1).sum().item<int64_t>(), 0);
  EXPECT_EQ(list.tensor()[0].slice(2, 70).ne(-1).sum().item<int64_t>(), 0);
  EXPECT_EQ(list.tensor()[1].slice(2, 20).ne(-1).sum().item<int64_t>(), 0);
  EXPECT_EQ(ImageList::from_tensors({a, b}, 0).tensor().sizes(), (std::vector<int64_t>{2, 3, 65, 70}));
  EXPECT_EQ(ImageList::from_tensors({torch::zeros({1, 64, 32})}).tensor().sizes(),
            (std::vector<int64_t>{1, 1, 64, 32}));
}

TEST(ImageList, RejectsMixedImages) {
  EXPECT_NE(error_of([] { ImageList::from_tensors({}); }).find("no images"), std::string::npos);
  EXPECT_NE(error_of([] {
              ImageList::from_tensors({torch::zeros({3, 4, 4}), torch::zeros({1, 4, 4})});
            }).find("image 1"),
            std::string::npos);
  EXPECT_NE(error_of([] { ImageList::from_tensors({torch::zeros({4, 4})}); }).find("[C, H, W]"), std::string::npos);
  EXPECT_NE(error_of([] { ImageList(torch::zeros({1, 3, 8, 8}), {{9, 8}}); }).find("does not fit"), std::string::npos);
}
