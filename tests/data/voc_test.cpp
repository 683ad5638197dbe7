#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/helpers.h"
#include "support/temp_dir.h"
#include "beyond/data/formats/voc.h"

namespace voc = beyond::voc;
using beyond::test::error_of;

namespace {

const std::string kDir = std::string(BEYOND_TEST_DATA_DIR) + "/voc/";

std::string xml_error(const std::string& body) {
  return error_of([&] { voc::parse_annotation(body, "a.xml"); });
}

}  // namespace

TEST(Voc, ReadsAnAnnotation) {
  const voc::Annotation a = voc::read_annotation(kDir + "000005.xml");
  EXPECT_EQ(a.folder, "VOC2007");
  EXPECT_EQ(a.filename, "000005.jpg");
  EXPECT_EQ(a.width, 500);
  EXPECT_EQ(a.height, 375);
  EXPECT_EQ(a.depth, 3);
  EXPECT_TRUE(a.segmented);
  ASSERT_EQ(a.objects.size(), 2u);  // the <part> inside the dog is not an object
  const voc::Object& chair = a.objects[0];
  EXPECT_EQ(chair.name, "chair");
  EXPECT_EQ(chair.pose, "Rear");
  EXPECT_FALSE(chair.truncated);
  EXPECT_FALSE(chair.difficult);
  EXPECT_EQ(chair.xmin, 263);
  EXPECT_EQ(chair.ymax, 339);
  // 1-based inclusive -> 0-based continuous: columns 263..324 (1-based) cover [262, 324).
  EXPECT_EQ(chair.box(), (std::array<double, 4>{262, 210, 324, 339}));
  const voc::Object& dog = a.objects[1];
  EXPECT_EQ(dog.name, "dog");
  EXPECT_EQ(dog.pose, "Unspecified");
  EXPECT_TRUE(dog.truncated);
  EXPECT_TRUE(dog.difficult);
  EXPECT_TRUE(dog.occluded);
  EXPECT_EQ(dog.ymin, 1.5);
  EXPECT_EQ(dog.ymax, 20);  // surrounding spaces are fine
  // A one-column box (xmin = xmax) is one pixel wide.
  EXPECT_EQ(dog.box()[2] - dog.box()[0], 1.0);
}

TEST(Voc, MissingOrBadFieldsNameTheFileObjectAndField) {
  EXPECT_NE(error_of([] { voc::read_annotation(kDir + "missing_xmax.xml"); })
                .find("missing_xmax.xml, object 0 ('cat'): missing <bndbox/xmax>"),
            std::string::npos);
  const std::string size = "<size><width>4</width><height>3</height></size>";
  EXPECT_NE(xml_error("<annotation>" + size + "</annotation>").find("a.xml: missing <filename>"), std::string::npos);
  EXPECT_NE(xml_error("<annotation><filename>x</filename></annotation>").find("a.xml: missing <size>"),
            std::string::npos);
  EXPECT_NE(xml_error("<annotation><filename>x</filename><size><width>4</width></size></annotation>")
                .find("a.xml: missing <size/height>"),
            std::string::npos);
  EXPECT_NE(xml_error("<annotation><filename>x</filename><size><width>4a</width><height>3</height></size></annotation>")
                .find("a.xml: <size/width> must be an integer, got '4a'"),
            std::string::npos);
  const std::string head = "<annotation><filename>x</filename>" + size;
  EXPECT_NE(xml_error(head + "<object><bndbox/></object></annotation>").find("a.xml, object 0: missing <object/name>"),
            std::string::npos);
  EXPECT_NE(xml_error(head + "<object><name>cat</name></object></annotation>")
                .find("a.xml, object 0 ('cat'): missing <object/bndbox>"),
            std::string::npos);
  EXPECT_NE(xml_error(head + "<object><name>cat</name><bndbox><xmin>5</xmin><ymin>1</ymin><xmax>2</xmax>"
                             "<ymax>2</ymax></bndbox></object></annotation>")
                .find("a.xml, object 0 ('cat'): <bndbox> has xmin > xmax"),
            std::string::npos);
  EXPECT_NE(xml_error(head + "<object><name>cat</name><difficult>2</difficult></object></annotation>")
                .find("a.xml, object 0 ('cat'): <difficult> must be 0 or 1"),
            std::string::npos);
  EXPECT_NE(xml_error(head + "<object><name>cat</name><bndbox><xmin>x</xmin><ymin>1</ymin><xmax>2</xmax>"
                             "<ymax>2</ymax></bndbox></object></annotation>")
                .find("<bndbox/xmin> must be a number, got 'x'"),
            std::string::npos);
  EXPECT_NE(xml_error("<annotation><filename>x</filename").find("a.xml: malformed XML at byte"), std::string::npos);
  EXPECT_NE(xml_error("<root/>").find("a.xml: missing the root element <annotation>"), std::string::npos);
}

TEST(Voc, ImageSets) {
  const auto plain = voc::read_image_set(kDir + "train.txt");
  ASSERT_EQ(plain.size(), 3u);
  EXPECT_EQ(plain[2].id, "000009");
  EXPECT_EQ(plain[2].flag, 1);
  const auto per_class = voc::read_image_set(kDir + "dog_train.txt");
  ASSERT_EQ(per_class.size(), 3u);
  EXPECT_EQ(per_class[0].flag, 1);
  EXPECT_EQ(per_class[1].flag, -1);
  EXPECT_EQ(per_class[2].flag, 0);
  EXPECT_EQ(voc::image_ids(per_class), std::vector<std::string>({"000005", "000009"}));
  EXPECT_EQ(voc::image_ids(plain).size(), 3u);
  EXPECT_NE(error_of([] { voc::parse_image_set("a 1\nb 2\n", "s.txt"); })
                .find("s.txt, line 2: the flag after 'b' must be 1, -1 or 0, got '2'"),
            std::string::npos);
  EXPECT_NE(error_of([] { voc::parse_image_set("a 1 x\n", "s.txt"); }).find("s.txt, line 1: expected '<id>'"),
            std::string::npos);
}

TEST(Voc, LabelPngsGivePaletteIndicesNotColours) {
  // Written by another encoder (PIL) with an arbitrary palette: the indices come back as written.
  const voc::LabelImage a = voc::read_label_png(kDir + "seg_8bit.png");
  ASSERT_EQ(a.height, 4);
  ASSERT_EQ(a.width, 5);
  EXPECT_EQ(a.labels, std::vector<uint8_t>({0, 0, 1, 1, 255, 0, 15, 1, 255, 0, 255, 15, 15, 0, 0, 20, 0, 0, 0, 255}));
  // 2-bit indices are unpacked to one byte per pixel.
  const voc::LabelImage b = voc::read_label_png(kDir + "seg_2bit.png");
  ASSERT_EQ(b.width, 3);
  EXPECT_EQ(b.labels, std::vector<uint8_t>({0, 1, 2, 3, 2, 1}));
  EXPECT_NE(error_of([] { voc::read_label_png(kDir + "rgb.png"); })
                .find("rgb.png: a label PNG must be a palette (or 8-bit grayscale) image"),
            std::string::npos);
  EXPECT_NE(error_of([] { voc::read_label_png(kDir + "train.txt"); }).find("train.txt: not a readable PNG"),
            std::string::npos);
  EXPECT_NE(error_of([] { voc::read_label_png(kDir + "nope.png"); }).find("cannot open"), std::string::npos);
}

TEST(Voc, LabelPngRoundTripAndPalette) {
  beyond::test::TempDir dir;
  std::mt19937 rng(9);
  voc::LabelImage im{17, 23, {}};
  for (int i = 0; i < 17 * 23; ++i) im.labels.push_back(static_cast<uint8_t>(rng() % 3 == 0 ? 255 : rng() % 21));
  voc::write_label_png(dir / "x.png", im);
  const voc::LabelImage back = voc::read_label_png(dir / "x.png");
  EXPECT_EQ(back.height, 17);
  EXPECT_EQ(back.width, 23);
  EXPECT_EQ(back.labels, im.labels);
  // A damaged file (cut short) is an error, not a crash.
  std::ifstream in(dir / "x.png", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "cut.png", std::ios::binary) << bytes.substr(0, bytes.size() - 20);  // inside the pixels
  const std::string cut = error_of([&] { voc::read_label_png(dir / "cut.png"); });
  EXPECT_NE(cut.find("cut.png: damaged PNG"), std::string::npos) << cut;
  std::ofstream(dir / "head.png", std::ios::binary) << bytes.substr(0, 100);  // inside the palette
  const std::string head = error_of([&] { voc::read_label_png(dir / "head.png"); });
  EXPECT_NE(head.find("head.png: not a readable PNG (Read Error)"), std::string::npos) << head;
  // VOC's colour map: background black, aeroplane (1) dark red, person (15) (192, 128, 128), void cream.
  const auto p = voc::palette();
  EXPECT_EQ(p[0], (std::array<uint8_t, 3>{0, 0, 0}));
  EXPECT_EQ(p[1], (std::array<uint8_t, 3>{128, 0, 0}));
  EXPECT_EQ(p[15], (std::array<uint8_t, 3>{192, 128, 128}));
  EXPECT_EQ(p[255], (std::array<uint8_t, 3>{224, 224, 192}));
  EXPECT_NE(error_of([&] { voc::write_label_png(dir / "y.png", {2, 2, {1, 2, 3}}); }).find("3 labels for a 2x2"),
            std::string::npos);
}
