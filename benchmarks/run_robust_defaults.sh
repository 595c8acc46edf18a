#!/bin/sh
# The protocol behind the s-using methods' defaults, as committed in
# benchmarks/results/robust_defaults/ (about 40 minutes on 2 cores). Each step adds its runs
# to runs.csv (--resume) and rewrites the summary over every run so far.
set -e
cd "$(dirname "$0")/.."
P="python benchmarks/robust_defaults.py --resume"
$P --tables german --seeds 0 1 2
$P --tables synthetic --recipes standard --seeds 0 1 2
$P --tables adult --sensitive sex --recipes standard --seeds 0 1 2
$P --tables adult --sensitive sex --recipes log1p quantile outliers --seeds 0
$P --tables adult --sensitive race age --recipes standard --seeds 0
