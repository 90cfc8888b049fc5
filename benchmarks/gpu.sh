#!/usr/bin/env bash
# The prepared GPU check: the device cases of the benchmark suite on device="cuda", a few minutes.
# Run from the repository root on a machine with an NVIDIA GPU and a CUDA build of torch.
set -euo pipefail
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU visible to torch'; print(torch.__version__, torch.cuda.get_device_name(0))"
python benchmarks/run.py --device cuda "$@"
