"""Runs Nabla's benchmarks and their peers (PyTorch, scikit-learn, OpenBLAS) one right after the other
and prints one JSON object per workload and peer: both figures and their ratio. Started by
scripts/bench-peers.sh, which prepares the virtual environment and the release build.

`ratio` is always Nabla's speed over the peer's: above 1 Nabla is faster (for rates it is
nabla / peer_value, for times peer_value / nabla). Quality figures (test accuracy, explained variance,
KL divergence, adjusted Rand index) travel along, so a speed-up bought with worse results shows.
"""
import argparse, importlib.metadata, importlib.util, json, os, re, subprocess, sys

parser = argparse.ArgumentParser()
parser.add_argument("--nabla", required=True, help="the release-built nabla executable")
parser.add_argument("--reference", required=True, help="the folder holding the peer scripts")
parser.add_argument("--quick", action="store_true")
parser.add_argument("suites", nargs="+", choices=["core", "optim", "train", "classic", "trust", "compression", "gan", "step", "rl", "gnn", "language", "lstm"])
options = parser.parse_args()
quick = options.quick
suffix = "-quick" if quick else ""
here = os.path.dirname(os.path.abspath(__file__))
torch_version = "pytorch " + importlib.metadata.version("torch").split("+")[0]
sklearn_version = "scikit-learn " + importlib.metadata.version("scikit-learn")


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def run(command, what):
    """Runs a command and returns its standard output; stops the whole run, naming it, if it fails."""
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"bench-peers: {what} failed (exit {result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
    return result.stdout


def nabla(*arguments):
    return json_lines(run([options.nabla, "bench", *arguments] + (["--quick"] if quick else []), "nabla bench " + arguments[0]))


def python_peer(code, *arguments):
    return run([sys.executable, "-c", code, *arguments], "peer " + " ".join(arguments[:2]))


def significant(value, digits=4):
    return float(f"{value:.{digits}g}") if isinstance(value, float) else value


def emit(suite, workload, unit, nabla_value, peer, peer_value, higher_is_better=True, **extra):
    if nabla_value and peer_value:
        ratio = nabla_value / peer_value if higher_is_better else peer_value / nabla_value
    else:
        ratio = None
    line = {"suite": suite, "workload": workload, "quick": quick, "unit": unit, "nabla": significant(nabla_value),
            "peer": peer, "peer_value": significant(peer_value), "ratio": significant(ratio, 3) if ratio else None}
    line.update({key: significant(value) for key, value in extra.items()})
    line["openblas_coretype"] = os.environ.get("OPENBLAS_CORETYPE")
    print(json.dumps(line), flush=True)


def core():
    lines = nabla("core")
    blas_core = next((line["blas_core"] for line in lines if line.get("benchmark") == "machine"), "?")
    peers = {line["workload"]: line for line in json_lines(run([sys.executable, os.path.join(here, "torch_core.py")]
                                                                 + (["--quick"] if quick else []), "peer torch_core.py"))}
    for line in lines:
        workload = line.get("workload")
        if line.get("benchmark") == "matmul":
            # The first peer is OpenBLAS called directly in the same process, timed in the same repetitions
            # (bench core's own pairing); its ratio is the median of the per-repetition ratios.
            emit("core", workload, "GFLOP/s", line["nabla_gflops"], f"openblas {blas_core} cblas_sgemm (same process)",
                 line["cblas_gflops"], nabla_route=line.get("route"), paired_ratio=line["ratio"])
            emit("core", workload, "GFLOP/s", line["nabla_gflops"], torch_version + " torch.mm",
                 peers[workload]["gflops"], nabla_route=line.get("route"))
        elif line.get("benchmark") in ("elementwise", "sum"):
            emit("core", workload, "GB/s", line["gb_per_s"], torch_version, peers[workload]["gb_per_s"])


# The reference optimiser script measures 1M and 10M parameters at module level; quick runs use the
# sizes of `nabla bench optim --quick` by replacing that tuple in its source (checked to be there).
OPTIM_RUNNER = r"""
import sys
source = open(sys.argv[1]).read()
if sys.argv[2] == "quick":
    sizes = "(1_000_000, 10_000_000)"
    assert sizes in source, "torch_optim_step.py no longer lists " + sizes
    source = source.replace(sizes, "(10_000, 100_000)")
exec(compile(source, sys.argv[1], "exec"), {"__name__": "__main__"})
"""


def optim():
    lines = nabla("optim")
    peers = json_lines(python_peer(OPTIM_RUNNER, os.path.join(options.reference, "torch_optim_step.py"),
                                   "quick" if quick else "full"))
    for line in lines:
        if line.get("benchmark") != "optim":
            continue
        peer = next(p for p in peers if p["optimizer"] == line["optimizer"] and p["params"] == line["parameters"])
        emit("optim", line["workload"], "ms/step", line["ms_per_step"], torch_version, peer["ms"], higher_is_better=False)


# One recipe of the reference training script, imported as a module; quick runs train on the first
# 6,400 training images and test on the first 2,000, as `nabla bench train --quick` does.
TRAIN_RUNNER = r"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("torch_fmnist", sys.argv[1])
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
if sys.argv[3] == "quick":
    full = module.load
    module.load = lambda kind: tuple(v[:6400 if kind == "train" else 2000] for v in full(kind))
module.run(sys.argv[2], getattr(module, sys.argv[2]), 1)
"""


def parse_fields(text):
    return {key: float(value) for key, value in re.findall(r"(\w+)=([-\d.eE]+)", text)}


def train():
    for recipe, peer_name in (("fashion-mlp", "mlp"), ("fashion-cnn", "cnn")):
        line = next(l for l in nabla("train", "--recipe", recipe) if l.get("benchmark") == "train")
        peer = parse_fields(python_peer(TRAIN_RUNNER, os.path.join(options.reference, "torch_fmnist.py"), peer_name,
                                        "quick" if quick else "full"))
        emit("train", line["workload"], "samples/s", line["samples_per_s"], torch_version, peer["samples_per_s"],
             nabla_test_acc=line["test_acc"], peer_test_acc=peer["test_acc"])


# One workload of the reference scikit-learn script: its set-up lines, then the one `timed(...)` line of
# that workload, so Nabla and scikit-learn can take turns workload by workload. Quick runs cut the data
# as `nabla bench classic --quick` does (3,000 training and 1,000 test images, 400 digits, 500 images
# and 300 iterations for t-SNE).
CLASSIC_RUNNER = r"""
import sys
path, wanted, mode = sys.argv[1:4]
quick = mode == "quick"
setup, chosen = [], None
for line in open(path).read().splitlines():
    if line.startswith("timed("):
        if line.startswith('timed("%s"' % wanted): chosen = line
    else:
        setup.append(line)
        if quick and line.startswith("xtr, ytr = load("):
            setup.append("xtr, ytr, xte, yte = xtr[:3000], ytr[:3000], xte[:1000], yte[:1000]")
        if quick and line.startswith("xd, yd = load_digits("):
            setup.append("xd, yd = xd[:400], yd[:400]")
assert chosen is not None, "no timed(%r ...) line in %s" % (wanted, path)
if quick and "TSNE(" in chosen:
    assert "TSNE(2, random_state=0)" in chosen, chosen
    chosen = chosen.replace("TSNE(2, random_state=0)", "TSNE(2, random_state=0, max_iter=300)").replace("xtr[:5000]", "xtr[:500]")
namespace = {"__name__": "__main__"}
exec(compile("\n".join(setup), path, "exec"), namespace)
exec(compile(chosen, path, "exec"), namespace)
"""


def classic():
    for workload in ("pca50_fmnist60k", "kmeans10_fmnist60k", "logreg_fmnist60k", "gaussian_generative_fmnist60k",
                     "tsne_digits1797", "tsne_fmnist5000"):
        line = next(l for l in nabla("classic", "--workload", workload) if l.get("benchmark") == "classic")
        output = python_peer(CLASSIC_RUNNER, os.path.join(options.reference, "sklearn_classic.py"), workload,
                             "quick" if quick else "full")
        peer_line = next(l for l in output.splitlines() if l.startswith(workload))
        peer = parse_fields(peer_line)
        quality = next(key for key in ("explained", "ari", "test_acc", "kl") if key in line)
        emit("classic", line["workload"], "s", line["seconds"], sklearn_version, peer["s"], higher_is_better=False,
             quality=quality, nabla_quality=line[quality], peer_quality=peer[quality])


def trust():
    # PGD-20 on the plain fashion-cnn, both sides on the same (freshly initialised) weights, which Nabla
    # writes and the peer reads: throughput does not depend on what the weights learnt.
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        weights = os.path.join(folder, "model.safetensors")
        line = next(l for l in nabla("trust", "--save-model", weights) if l.get("benchmark") == "trust")
        peer = json_lines(run([sys.executable, os.path.join(here, "torch_trust.py"), "bench", "--weights", weights, "--arch", "cnn",
                               "--mean", "0.286", "--std", "0.353", "--count", str(line["count"])], "peer torch_trust.py"))[0]
        emit("trust", line["workload"], "images/s", line["images_per_s"], f"{torch_version} torchattacks {peer['torchattacks']}",
             peer["images_per_s"], nabla_adversarial_acc=line["adversarial_acc"], peer_adversarial_acc=peer["adversarial_accuracy"])


def compression():
    # int8 post-training static quantisation of the plain fashion-cnn, both sides on the same (freshly
    # initialised, or NABLA_COMPRESSION_RUN's trained) weights, calibrated on the first 512 training
    # images, inference over the test set in batches of 256.
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        weights = os.path.join(folder, "model.safetensors")
        arguments = ["quantization", "--save-model", weights]
        if os.environ.get("NABLA_COMPRESSION_RUN"):
            arguments += ["--run", os.environ["NABLA_COMPRESSION_RUN"]]
        # Nabla and PyTorch take turns (Nabla first, as it writes the weights), the order flipping every
        # round, so a change in the machine's load falls on both; each side's fastest round counts.
        rounds = 1 if quick else 3
        best, best_peer = {}, {}
        for round_index in range(rounds):
            for side in (("nabla", "peer") if round_index % 2 == 0 else ("peer", "nabla")):
                if side == "nabla":
                    found = {l["precision"]: l for l in nabla(*arguments) if l.get("benchmark") == "quantization"}
                    target = best
                else:
                    found = {l["precision"]: l for l in json_lines(run([sys.executable, os.path.join(here, "torch_int8.py"), "--weights", weights,
                                                                        "--count", str(best["int8"]["count"])], "peer torch_int8.py"))}
                    target = best_peer
                for precision, line in found.items():
                    if precision not in target or line["images_per_s"] > target[precision]["images_per_s"]:
                        target[precision] = line
        for precision in ("float32", "int8"):
            emit("compression", f"{best[precision]['workload']}-{precision}", "images/s", best[precision]["images_per_s"],
                 f"{torch_version} (torch.ao x86)" if precision == "int8" else torch_version, best_peer[precision]["images_per_s"],
                 rounds=rounds, nabla_test_acc=best[precision]["test_acc"], peer_test_acc=best_peer[precision]["test_acc"])


def gan():
    # DCGAN on Fashion-MNIST, the same networks, batch, optimiser and step order on both sides.
    line = next(l for l in nabla("gan") if l.get("benchmark") == "gan")
    peer = json_lines(run([sys.executable, os.path.join(here, "torch_dcgan.py"), "--batches", str(line["batches"])],
                          "peer torch_dcgan.py"))[0]
    emit("gan", line["workload"], "images/s", line["images_per_s"], torch_version, peer["images_per_s"])


def lstm():
    # LSTM training on sequential Fashion-MNIST (28 steps of 28 features, hidden 128, batch 64, Adam), nn.LSTM on 2 threads.
    line = next(l for l in nabla("lstm") if l.get("benchmark") == "lstm")
    peer = json_lines(run([sys.executable, os.path.join(here, "torch_lstm.py"), "--batches", str(line["batches"])],
                          "peer torch_lstm.py"))[0]
    emit("lstm", line["workload"], "samples/s", line["samples_per_s"], torch_version, peer["samples_per_s"],
         nabla_loss=line["loss"], peer_loss=peer["loss"])


def step():
    # One training step of the fashion-cnn lab's residual network (batch 64, Adam), same layers on both sides.
    line = next(l for l in nabla("step") if l.get("part", "").startswith("whole step"))
    peer = next(l for l in json_lines(run([sys.executable, os.path.join(here, "torch_step.py")] + (["--quick"] if quick else []),
                                          "peer torch_step.py")) if l["part"] == "whole step")
    emit("step", "fashion-cnn-residual-step" + suffix, "images/s", line["images_per_s"], torch_version, peer["images_per_s"])


def rl():
    # PPO and DQN on CartPole-v1 with the RL zoo's hyper-parameters and the same steps on both sides;
    # the peer is Stable-Baselines3, timed around `learn`, with torch's default threads.
    sb3_version = "stable-baselines3 " + importlib.metadata.version("stable-baselines3")
    for line in (l for l in nabla("rl") if l.get("benchmark") == "rl"):
        algorithm = line["workload"].split("-")[0]
        peer = json_lines(run([sys.executable, os.path.join(here, "sb3_rl.py"), "--only", algorithm,
                               f"--{algorithm}-steps", str(line["steps"])], "peer sb3_rl.py"))[0]
        emit("rl", line["workload"], "steps/s", line["steps_per_s"], sb3_version, peer["steps_per_s"],
             nabla_mean_return=line["mean_return"], peer_mean_return=peer["mean_return"], peer_threads=peer["threads"])


def gnn():
    # The gnn-knn lab's two-layer GCN on its k-NN graph of Fashion-MNIST, which Nabla writes and PyTorch
    # Geometric reads: the same nodes, edges, labels and recipe, accuracy averaged over the same seeds count.
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        graph = os.path.join(folder, "graph.npz")
        line = next(l for l in nabla("gnn", "--export-graph", graph) if l.get("benchmark") == "gnn")
        peer = json_lines(run([sys.executable, os.path.join(here, "pyg_gcn.py"), "--graph", graph, "--seeds", str(line["seeds"]),
                               "--epochs", str(line["epochs"])], "peer pyg_gcn.py"))[0]
        emit("gnn", line["workload"], "ms/epoch", line["ms_per_epoch"], f"{torch_version} torch_geometric {peer['torch_geometric']}",
             peer["ms_per_epoch"], higher_is_better=False, nabla_test_acc=line["test_acc"], peer_test_acc=peer["test_acc"])


def language():
    # GPT training on character-level fortunes with nanoGPT's CPU configuration: Nabla writes its token
    # streams as NPZ and PyTorch trains the same model on them, for the same iterations.
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        tokens = os.path.join(folder, "tokens.npz")
        lines = nabla("language", "--export-data", tokens)
        line = next(l for l in lines if l.get("benchmark") == "language")
        peer = json_lines(run([sys.executable, os.path.join(here, "torch_gpt.py"), "--data", tokens,
                               "--iterations", str(line["iterations"])], "peer torch_gpt.py"))[0]
    emit("language", line["workload"], "iterations/s", line["iterations_per_s"], torch_version, peer["iterations_per_s"],
         nabla_validation_loss=line["validation_loss"], peer_validation_loss=peer["validation_loss"],
         nabla_peak_rss_mb=line["peak_rss_mb"], peer_peak_rss_mb=peer["peak_rss_mb"], peer_threads=peer["threads"])
    generation = next(l for l in lines if l.get("benchmark") == "language-generation")
    print(json.dumps({"suite": "language", **generation}), flush=True)


for suite in options.suites:
    {"core": core, "optim": optim, "train": train, "classic": classic, "trust": trust, "compression": compression, "gan": gan,
     "step": step, "rl": rl, "gnn": gnn, "language": language, "lstm": lstm}[suite]()
