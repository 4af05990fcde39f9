#!/usr/bin/env bash
# test.sh — installs dependencies, builds with AddressSanitizer and UBSan, and runs every test
# (unit tests, layering check, end-to-end tests with the real terraform CLI) through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
command -v terraform >/dev/null || { echo "terraform is not on PATH" >&2; exit 1; }
cmake -S . -B build-test -DSTRATA_SANITIZE=ON -DBUILD_TESTING=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-test -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
cd build-test && ctest --output-on-failure --timeout 900 -j2
