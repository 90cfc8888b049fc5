#!/usr/bin/env bash
# The prepared GPU check: the device cases of the benchmark suite on device="cuda", a few minutes.
# Run from the repository root on a machine with an NVIDIA GPU and a CUDA build of torch.
# On a GPU the ragged stack of fit_many holds every model at once (max_units="auto" is unlimited
# there) and sums each model's units with a one-hot product (deterministic, unlike atomic adds).
set -euo pipefail
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU visible to torch'; print(torch.__version__, torch.cuda.get_device_name(0))"
python benchmarks/run.py --quick --device cuda "$@"
python benchmarks/bench_fit_many.py --device cuda --skip-speed-up   # throughput: 4 and 200 models of width 32
