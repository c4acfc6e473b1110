#!/usr/bin/env bash
# Benchmark: every BLAS that Debian 12 packages (and MKL from PyPI, where a venv with it is given) on the
# DiT forward's matrix products, at 1 and 2 threads, plus a 2048³ sgemm for each library's peak.
# Installs the candidate libraries (apt) first. Results: Benchmarks/BLASChoice/README.md.
# Usage: Benchmarks/BLASChoice/run.sh [SECONDS_PER_SHAPE] [MKL_VENV]
#   MKL_VENV: a Python venv with `pip install mkl` (its lib/libmkl_rt.so.*), optional.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-1}
mkl_venv=${2:-}
packages="libopenblas0-pthread libopenblas0-openmp libopenblas0-serial libblis4-pthread libblis4-openmp libblis4-serial libatlas3-base libblas3"
missing=$(for p in $packages; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"; done)
if [ -n "$missing" ]; then
  apt-get install -y -q $missing >/dev/null
fi
swift build -c release --product LongshotBLASBenchmark >/dev/null
bin=.build/release/LongshotBLASBenchmark
lib=/usr/lib/$(gcc -print-multiarch)
candidates=(
  "openblas-pthread:$lib/openblas-pthread/libopenblas.so.0"
  "openblas-openmp:$lib/openblas-openmp/libopenblas.so.0"
  "openblas-serial:$lib/openblas-serial/libopenblas.so.0"
  "blis-pthread:$lib/blis-pthread/libblis.so.4"
  "blis-openmp:$lib/blis-openmp/libblis.so.4"
  "blis-serial:$lib/blis-serial/libblis.so.4"
  "atlas:$lib/atlas/libblas.so.3"
  "netlib:$lib/blas/libblas.so.3"
)
if [ -n "$mkl_venv" ]; then
  candidates+=("mkl:$(ls "$mkl_venv"/lib/libmkl_rt.so.* | head -1)")
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# "library threads": the library splits each product itself; "2 tasks": two products at once on two
# threads with the library single-threaded in each, as Longshot runs (row chunks, attention tasks).
for mode in "1 thread" "2 library threads" "2 tasks"; do
  threads=1 copies=1
  case $mode in "2 library threads") threads=2 ;; "2 tasks") copies=2 ;; esac
  for entry in "${candidates[@]}"; do
    name=${entry%%:*} path=${entry#*:}
    case $name in *serial|atlas|netlib) [ "$mode" = "1 thread" ] || continue ;; esac
    case $name in *openmp) [ "$mode" != "2 tasks" ] || continue ;; esac
    run() {
      OPENBLAS_NUM_THREADS=$threads BLIS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
        "$bin" "$path" "$seconds" "$@" --copies "$copies"
    }
    dit=$(run)
    peak=$(run 2048x2048x2048 | sed 's/.*"2048x2048x2048": \([0-9.]*\).*/\1/')
    echo "$mode, $name: peak $peak GFLOP/s; DiT $(echo "$dit" | sed 's/^{"library": "[^"]*", //')"
  done
done
