#include <gtest/gtest.h>

#include "beyond/data/text/utf8.h"
#include "beyond/data/text/vocabulary.h"
#include "support/helpers.h"

using namespace beyond;
using namespace beyond::data;
using beyond::test::error_of;

TEST(Utf8, DecodesAndEncodesEveryLength) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  const auto cps = decode_utf8(text, "t");
  ASSERT_EQ(cps, (std::vector<int32_t>{'a', 0xE9, 0x20AC, 0x1F600}));
  std::string back;
  for (auto cp : cps) append_utf8(cp, back);
  EXPECT_EQ(back, text);
}

TEST(Utf8, InvalidSequenceNamesTheByteOffset) {
  // Latin-1 'é' (0xE9 followed by ASCII) at byte 6.
  const std::string latin1 = std::string("caf\xC3\xA9 ") + "\xE9t\xC3\xA9";
  const std::string msg = error_of([&] { decode_utf8(latin1, "corpus.txt"); });
  EXPECT_NE(msg.find("corpus.txt is not valid UTF-8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("byte offset 6"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0xE9"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--vocab bytes"), std::string::npos) << msg;
}

TEST(Utf8, RejectsOverlongSurrogateTruncatedAndTooLarge) {
  for (const std::string& bad : {std::string("ab\xC0\xAF"), std::string("ab\xED\xA0\x80"), std::string("ab\xE2\x82"),
                                std::string("ab\xF4\x90\x80\x80"), std::string("ab\x80"), std::string("ab\xFF")}) {
    const std::string msg = error_of([&] { decode_utf8(bad, "f"); });
    EXPECT_NE(msg.find("byte offset 2"), std::string::npos) << msg;
  }
}

TEST(Vocabulary, SortedUniqueIdsRoundTrip) {
  const auto text = decode_utf8("hello, wörld\n", "t");
  const auto vocab = Vocabulary::of(VocabKind::Codepoints, text);
  EXPECT_EQ(vocab.size(), 11);  // \n space , d e h l o r w ö
  std::vector<int32_t> sorted = vocab.symbols();
  EXPECT_TRUE(std::is_sorted(sorted.begin(), sorted.end()));
  const auto ids = vocab.encode(text, "t");
  EXPECT_EQ(vocab.decode(ids), "hello, wörld\n");
  EXPECT_EQ(vocab.id('h'), std::find(sorted.begin(), sorted.end(), 'h') - sorted.begin());
  EXPECT_EQ(vocab.id('z'), -1);
}

TEST(Vocabulary, BytesAcceptAnyFile) {
  const std::string latin1 = "caf\xE9";
  const auto symbols = text_symbols(latin1, VocabKind::Bytes, "f");
  const auto vocab = Vocabulary::of(VocabKind::Bytes, symbols);
  EXPECT_EQ(vocab.size(), 4);
  EXPECT_EQ(vocab.decode(vocab.encode(symbols, "f")), latin1);
  EXPECT_EQ(vocab.describe(0xE9), "byte 0xE9");
}

TEST(Vocabulary, UnknownSymbolNamesItAndItsPosition) {
  const auto vocab = Vocabulary::of(VocabKind::Codepoints, decode_utf8("abc", "t"));
  const std::string msg = error_of([&] { vocab.encode(decode_utf8("abé", "p"), "the priming text"); });
  EXPECT_NE(msg.find("the priming text has 'é' (U+00E9) at character 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("vocabulary of 3 codepoints"), std::string::npos) << msg;
}

TEST(Vocabulary, DifferenceListsSymbolsOnEachSide) {
  const Vocabulary a(VocabKind::Codepoints, {'a', 'b', 'c'}), b(VocabKind::Codepoints, {'a', 'b', 'd', 'e'});
  EXPECT_EQ(vocabulary_difference(a, a), "");
  const std::string d = vocabulary_difference(a, b);
  EXPECT_NE(d.find("the checkpoint has 3 symbols, the text 4"), std::string::npos) << d;
  EXPECT_NE(d.find("only in the checkpoint: 'c' (U+0063)"), std::string::npos) << d;
  EXPECT_NE(d.find("only in the text: 'd' (U+0064), 'e' (U+0065)"), std::string::npos) << d;
  EXPECT_NE(vocabulary_difference(a, Vocabulary(VocabKind::Bytes, {'a', 'b', 'c'})).find("bytes"), std::string::npos);
}
