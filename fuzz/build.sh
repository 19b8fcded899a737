#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/CMakeLists.txt) with clang and refreshes
# their seed corpora from examples/.
#
#   fuzz/build.sh                    build in build/fuzz (clang-14, ASan+UBSan)
#   fuzz/build.sh run TARGET SECS    build, then fuzz TARGET for SECS seconds on
#                                    a copy of its corpus (crashes go to
#                                    build/fuzz/artifacts/)
#
# TARGET is script_parser_fuzzer (corpus fuzz/corpus/parser) or engine_fuzzer
# (fuzz/corpus/engine). Under OSS-Fuzz ($LIB_FUZZING_ENGINE and $OUT set; CC,
# CXX and CXXFLAGS given) it builds with those, copies the targets to $OUT
# and zips each corpus as $OUT/TARGET_seed_corpus.zip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
targets=(script_parser_fuzzer engine_fuzzer)
declare -A corpus=([script_parser_fuzzer]=parser [engine_fuzzer]=engine)

if [[ -n "${LIB_FUZZING_ENGINE:-}" && -n "${OUT:-}" ]]; then
  build=${WORK:-/tmp}/rmaplab-fuzz
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRMAPLAB_FUZZERS=ON \
        -DRMAPLAB_TESTS=OFF -DRMAPLAB_BENCH=OFF
  cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
  for t in "${targets[@]}"; do
    cp "$build/fuzz/$t" "$OUT/"
    (cd "$root/fuzz/corpus/${corpus[$t]}" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
  done
  exit 0
fi

build=$root/build/fuzz
CC=${CC:-clang-14} CXX=${CXX:-clang++-14} \
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRMAPLAB_FUZZERS=ON \
        -DRMAPLAB_TESTS=OFF -DRMAPLAB_BENCH=OFF >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target "${targets[@]}" make_corpus
"$build/fuzz/make_corpus" "$root/examples" "$root/fuzz/corpus"

if [[ "${1:-}" == run ]]; then
  t=${2:?fuzz/build.sh run TARGET SECONDS}
  secs=${3:?fuzz/build.sh run TARGET SECONDS}
  [[ -n "${corpus[$t]:-}" ]] || { echo "fuzz/build.sh: unknown target '$t' (${targets[*]})" >&2; exit 2; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$root/fuzz/corpus/${corpus[$t]}" "$work/corpus"
  mkdir -p "$build/artifacts"
  "$build/fuzz/$t" -max_total_time="$secs" -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t-" "$work/corpus"
fi
