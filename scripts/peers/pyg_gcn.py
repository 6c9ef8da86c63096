"""Peer for `nabla bench gnn`: PyTorch Geometric's two-layer GCN (its examples/gcn.py) on the graph that
`nabla bench gnn --export-graph` or the gnn-knn lab (graph.npz in the run folder) writes, 2 threads
(--threads),
the same recipe as Nabla's: dropout 0.5 on the input and hidden features, GCNConv(784 -> 16, cached)
-> ReLU -> GCNConv(16 -> classes, cached), Adam lr 0.01 with weight decay 5e-4 on every parameter,
full-graph epochs, cross-entropy on the labelled nodes, test accuracy after the last epoch.

  python pyg_gcn.py --graph graph.npz [--seeds 10] [--epochs 200] [--threads 2]     one JSON line: ms_per_epoch, test_acc
"""
import argparse, json, time
import numpy as np
import torch
import torch.nn.functional as F
import torch_geometric
from torch_geometric.nn import GCNConv

parser = argparse.ArgumentParser()
parser.add_argument("--graph", required=True, help="NPZ with edge_index, x, y, train_mask, val_mask, test_mask")
parser.add_argument("--seeds", type=int, default=10)
parser.add_argument("--epochs", type=int, default=200)
parser.add_argument("--hidden", type=int, default=16)
parser.add_argument("--threads", type=int, default=2, help="torch threads (2, as the other peers; on a busy machine 1 can be faster)")
options = parser.parse_args()
torch.set_num_threads(options.threads)

archive = np.load(options.graph)
x = torch.from_numpy(archive["x"])
y = torch.from_numpy(archive["y"])
edge_index = torch.from_numpy(archive["edge_index"])
train_mask = torch.from_numpy(archive["train_mask"]).bool()
test_mask = torch.from_numpy(archive["test_mask"]).bool()
classes = int(y.max()) + 1


class GCN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = GCNConv(x.shape[1], options.hidden, cached=True)
        self.conv2 = GCNConv(options.hidden, classes, cached=True)

    def forward(self, features):
        features = F.dropout(features, p=0.5, training=self.training)
        features = self.conv1(features, edge_index).relu()
        features = F.dropout(features, p=0.5, training=self.training)
        return self.conv2(features, edge_index)


accuracies, seconds = [], []
for seed in range(options.seeds):
    torch.manual_seed(seed)
    model = GCN()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for epoch in range(options.epochs):
        start = time.perf_counter()
        model.train()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x)[train_mask], y[train_mask])
        loss.backward()
        optimizer.step()
        seconds.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        predictions = model(x).argmax(dim=1)
    accuracies.append(float((predictions[test_mask] == y[test_mask]).float().mean()))

mean = float(np.mean(accuracies))
print(json.dumps({"workload": "gcn-fashion-knn", "torch": torch.__version__.split("+")[0], "torch_geometric": torch_geometric.__version__,
                  "nodes": int(x.shape[0]), "edges": int(edge_index.shape[1]), "threads": options.threads, "seeds": options.seeds, "epochs": options.epochs,
                  "ms_per_epoch": float(np.median(seconds)) * 1000, "test_acc": mean,
                  "test_acc_std": float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else 0.0,
                  "seconds": float(np.sum(seconds))}))
