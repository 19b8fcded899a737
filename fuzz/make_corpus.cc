// Writes the fuzzers' seed corpora from the examples:
//   make_corpus EXAMPLES_DIR CORPUS_DIR
// CORPUS_DIR/parser/NAME.rml is the example's text; CORPUS_DIR/engine/NAME
// its operations as engine bytes (src/fuzz/engine.h). Deterministic: run
// again on the same examples, it writes the same files.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "fuzz/engine.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_corpus EXAMPLES_DIR CORPUS_DIR\n";
    return 2;
  }
  const fs::path examples = argv[1], corpus = argv[2];
  fs::create_directories(corpus / "parser");
  fs::create_directories(corpus / "engine");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(examples))
    if (e.path().extension() == ".rml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::ofstream(corpus / "parser" / f.filename(), std::ios::binary) << text.str();
    auto script = rmaplab::parse_script(text.str(), f.string());
    if (!script) {
      std::cerr << script.error().message << "\n";
      return 1;
    }
    const auto bytes = rmaplab::encode_engine_bytes(*script);
    std::ofstream(corpus / "engine" / f.stem(), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  std::cout << "make_corpus: " << files.size() << " examples into " << corpus << "\n";
  return 0;
}
