#!/usr/bin/env bash
# Nabla beside its peers on this machine: for each suite, Nabla's benchmark (release build) and the peer
# right after it, one JSON line per workload and peer with both figures and `ratio` (Nabla's speed over
# the peer's: above 1 Nabla is faster).
#
#   scripts/bench-peers.sh [--quick] [--unpin] [core] [optim] [train] [classic] [trust] [compression] [gan] [step] [rl] [gnn] [language] [lstm]
#
# Suites (default: all eight):
#   core     matmul beside OpenBLAS's cblas_sgemm called directly in the same process (bench core pairs
#            the two in every repetition) and beside PyTorch's torch.mm; element-wise add/mul/exp and a
#            full sum beside PyTorch (scripts/peers/torch_core.py)
#   optim    one Adam and one SGD-momentum step, 1M and 10M parameters (reference/torch_optim_step.py)
#   train    one epoch of fashion-mlp and fashion-cnn (reference/torch_fmnist.py); a few minutes
#   classic  PCA, k-means, logistic regression, LDA, t-SNE (reference/sklearn_classic.py, PCA with
#            svd_solver="covariance_eigh"); Nabla and scikit-learn take turns workload by workload
#   trust    PGD-20 (eps 0.1, random start) over the 10,000 test images on the plain fashion-cnn beside
#            torchattacks' PGD on the same weights (scripts/peers/torch_trust.py)
#   compression  the plain fashion-cnn in float32 and int8 (post-training static quantisation, batches of
#            256 over the test set) beside torch.ao's x86 int8 on the same weights (scripts/peers/torch_int8.py),
#            the two taking turns for three rounds (one with --quick), each side's fastest round counting;
#            NABLA_COMPRESSION_RUN=RUN_DIR quantises a trained fashion-cnn run instead of fresh weights
#   gan      DCGAN training on Fashion-MNIST (batch 64, one D and one G step per batch) beside PyTorch
#            (scripts/peers/torch_dcgan.py)
#   step     one training step of fashion-cnn's residual network (batch 64, Adam) beside PyTorch
#            (scripts/peers/torch_step.py); not in the default set, name it
#   rl       PPO (100,000 steps) and DQN (50,000 steps) training on CartPole-v1 with the RL zoo's
#            hyper-parameters beside Stable-Baselines3 (scripts/peers/sb3_rl.py, needs gymnasium and
#            stable-baselines3 in the venv); only when named
#   gnn      the gnn-knn lab's two-layer GCN on its k-NN graph of Fashion-MNIST (10,000 nodes, 10 seeds of
#            200 epochs), ms per epoch and mean test accuracy, beside PyTorch Geometric's GCN on the same
#            graph, which Nabla exports as NPZ (scripts/peers/pyg_gcn.py; needs torch_geometric)
#   language GPT training on character-level fortunes with nanoGPT's CPU configuration (4 layers, 4 heads,
#            embedding 128, context 64, batch 12, AdamW 1e-3, 2,000 iterations) beside PyTorch on the same
#            token streams, which Nabla exports as NPZ (scripts/peers/torch_gpt.py), both validation losses
#            alongside; then Nabla's greedy generation with and without the key/value cache; only when named
#   lstm     LSTM training on sequential Fashion-MNIST (each image as 28 steps of 28 features; one layer of
#            128 units, batch 64, Adam 1e-3) beside PyTorch's nn.LSTM on 2 threads (scripts/peers/torch_lstm.py)
#
# --quick  small sizes and subsets: a check that everything runs, not a measurement. Every line then
#          says "quick": true and its workload name ends in "-quick".
# --unpin  run both sides without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, as on a user's machine, where
#          OpenBLAS (Nabla's and NumPy's) picks the kernels for this processor. By default the
#          environment is left as it is (a workplace may pin OPENBLAS_CORETYPE=Haswell); each line
#          records the OPENBLAS_CORETYPE it ran with. To compare, run once each way.
#
# The peers run from a virtual environment in .build/peers (torch, numpy, scikit-learn, threadpoolctl
# from PyPI; torch is several GB, installed once). The peer scripts are read from ../shared/reference,
# or from the folder NABLA_REFERENCE names. The machine is shared and noisy: compare ratios from one
# run, and repeat a run before trusting a difference of less than about 10%.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=() suites=()
for argument in "$@"; do
  case "$argument" in
    --quick) quick=(--quick) ;;
    --unpin) unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE ;;
    core|optim|train|classic|trust|compression|gan|step|rl|gnn|language|lstm) suites+=("$argument") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-peers.sh: unknown argument '$argument'; use --quick, --unpin, core, optim, train, classic, trust, compression, gan, step, rl, gnn, language or lstm" >&2; exit 2 ;;
  esac
done
[ ${#suites[@]} -gt 0 ] || suites=(core optim train classic trust compression gan gnn)

reference="${NABLA_REFERENCE:-../shared/reference}"
for script in torch_fmnist.py torch_optim_step.py sklearn_classic.py; do
  if [ ! -f "$reference/$script" ]; then
    echo "bench-peers.sh: the peer script $reference/$script is missing. Put the project's shared/ folder beside" \
         "the repository, or set NABLA_REFERENCE to the folder that holds torch_fmnist.py, torch_optim_step.py" \
         "and sklearn_classic.py." >&2
    exit 2
  fi
done

venv=.build/peers
if ! "$venv/bin/python" -c "import torch, numpy, sklearn, threadpoolctl, torchattacks, captum" >/dev/null 2>&1; then
  echo "bench-peers.sh: installing the peers into $venv (torch is several GB; this happens once)" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet torch numpy scikit-learn threadpoolctl torchattacks captum
fi

echo "bench-peers.sh: building nabla (release)" >&2
swift build -c release --product nabla >&2
for suite in "${suites[@]}"; do
  if [ "$suite" = rl ] && ! "$venv/bin/python" -c "import gymnasium, stable_baselines3" >/dev/null 2>&1; then
    echo "bench-peers.sh: installing gymnasium and stable-baselines3 into $venv for the rl suite" >&2
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet gymnasium stable-baselines3
  fi
done
exec "$venv/bin/python" scripts/peers/bench_peers.py --nabla .build/release/nabla --reference "$reference" \
  "${quick[@]}" "${suites[@]}"
