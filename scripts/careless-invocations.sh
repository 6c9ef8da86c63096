#!/bin/bash
# Bad invocations of the release nabla binary, as a careless user would type them (issue 12): bad files,
# hostile sizes, odd options. Counts exit codes: 0 ran, 1 or 64 refused with a message, anything else (a trap,
# a kill, a 60 s timeout) is a failure and is printed. Usage: swift build -c release && scripts/careless-invocations.sh
B=${NABLA:-$(cd "$(dirname "$0")/.." && pwd)/.build/release/nabla}
D=$(mktemp -d); trap 'rm -rf "$D"' EXIT; cd "$D"
printf 'a,b,y\n' > header-only.csv
printf 'a,b,y\n1,2,3\n4,5\n' > ragged.csv
printf 'a,b,y\n1,,3\n4,5,6\n' > gaps.csv
printf '\xff\xfea\x00,\x00y\x00\n\x001\x00,\x002\x00\n\x00' > utf16.csv
printf 'a,y\n1e308,0\n-1e308,1\n1e308,1\n-1e308,0\n' > huge.csv
printf 'a,y\n1,0\n1,0\n1,0\n1,0\n' > const.csv
printf 'a,b,y\nnan,1,0\n2,3,1\n' > nan.csv
ln -sf loop2.csv loop1.csv; ln -sf loop1.csv loop2.csv; ln -sf nowhere.csv dangling.csv
mkfifo fifo.csv; mkdir folder.csv
head -c 3000 /dev/urandom > random.csv
python3 -c "import gzip;open('bomb.csv','wb').write(gzip.compress(b'a,y\n'+b'1,2\n'*1))"
mkdir -p bombs truncated zero
python3 -c "
import gzip,struct,os
# header promises 10 labels; stream inflates to 64 MB of zeros
open('bombs/train-labels-idx1-ubyte.gz','wb').write(gzip.compress(struct.pack('>BBBBI',0,0,8,1,10)+bytes(64<<20)))
open('bombs/train-images-idx3-ubyte.gz','wb').write(gzip.compress(struct.pack('>BBBBIII',0,0,8,3,100000,28,28)+bytes(1000)))
open('truncated/train-images-idx3-ubyte','wb').write(struct.pack('>BBBBIII',0,0,8,3,60000,28,28)+bytes(100))
open('truncated/train-labels-idx1-ubyte','wb').write(struct.pack('>BBBBI',0,0,8,1,60000)+bytes(60000))
for part in ['train','t10k']:
  open('zero/%s-images-idx3-ubyte'%part,'wb').write(struct.pack('>BBBBIII',0,0,8,3,0,28,28))
  open('zero/%s-labels-idx1-ubyte'%part,'wb').write(struct.pack('>BBBBI',0,0,8,1,0))
"
mkdir -p run-empty run-bad; echo '{"epochs": 1e400' > run-bad/config.json; printf '{"epoch":1,"train_loss":1e-320}\n{"epoch":2,"train_loss":NaN}\n' > run-bad/metrics.jsonl
echo '{"matrix": [[1e300]]}' > run-bad/confusion.json; mkfifo run-bad/summary.json
cases=(
 "classic" "classic --list" "classic nosuch" "classic ridge --data" "classic ridge --data nosuch"
 "classic ridge --data header-only.csv --target y" "classic ridge --data ragged.csv --target y" "classic ridge --data gaps.csv --target y"
 "classic ridge --data utf16.csv --target y" "classic agglomerative --data huge.csv --target y" "classic kmeans --data huge.csv --target y"
 "classic lda --data const.csv --target y --classification" "classic qda --data const.csv --target y --classification"
 "classic ridge --data nan.csv --target y" "classic ridge --data loop1.csv --target y" "classic ridge --data dangling.csv --target y"
 "classic ridge --data fifo.csv --target y" "classic ridge --data folder.csv --target y" "classic ridge --data random.csv --target y"
 "classic ridge --data /dev/zero --target y" "classic ridge --data /dev/stdin --target y" "classic ridge --data '' --target y"
 "classic ridge --data bomb.csv --target y" "classic ridge --data header-only.csv --target nosuch"
 "classic tsne --exact --data blobs --samples 60000" "classic agglomerative --data blobs --samples 100000"
 "classic kernel-pca --data blobs --samples 50000" "classic ridge --data diabetes --degree 1000" "classic ridge --data diabetes --degree 30"
 "classic random-forest --data iris --trees 100000000" "classic kmeans --data blobs --samples 1000000000"
 "classic kmeans --data blobs --samples 10 --clusters 100" "classic kmeans --data iris --clusters 0" "classic kmeans --data iris --clusters 1000"
 "classic tsne --data iris --perplexity 1000" "classic tsne --data iris --perplexity -1" "classic pca --data iris --components 100"
 "classic lle --data iris --neighbors 1000" "classic gaussian-mixture --data iris --clusters 150" "classic label-propagation --data moons --neighbors 0"
 "classic ridge --penalty -1" "classic ridge --penalty nan" "classic ridge --penalty inf" "classic gradient-descent --learning-rate 1e308"
 "classic gradient-descent --learning-rate inf" "classic logistic-regression --iterations -5" "classic logistic-regression --learning-rate 1e30 --solver gradient-descent"
 "classic ridge --limit 0" "classic ridge --limit -1" "classic ridge --seed -1" "classic ridge --folds 1" "classic ridge --folds 100000"
 "classic ridge --validation-fraction 1" "classic ridge --validation-fraction 0.999999" "classic moons --samples 1"
 "classic self-training --data moons --labelled-fraction 0.0001" "classic self-training --data moons --threshold 2"
 "classic ridge --memory-limit 0" "classic ridge --memory-limit 1k --data diabetes" "classic ridge --memory-limit abc" "classic ridge --memory-limit -1G"
 "classic kmeans --data iris --output /nonexistent/x.csv" "classic kmeans --data iris --output /" "classic kmeans --data iris --output ''"
 "classic decision-tree --data iris --max-depth 0" "classic decision-tree --data iris --max-depth 100000" "classic random-forest --data iris --trees 0"
 "classic agglomerative --data iris --linkage nosuch" "classic ridge --scale nosuch" "classic ridge --degree 0"
 "report" "report nosuch" "report run-empty" "report run-bad" "report /dev/null" "report ''" "report /"
 "bench core --repetitions -1" "bench core --repetitions 0" "bench classic --workload nosuch" "bench nosuch"
 "NABLA_FASHION_MNIST=bombs classic lda --data fashion-mnist" "NABLA_FASHION_MNIST=truncated classic lda --data fashion-mnist"
 "NABLA_FASHION_MNIST=zero classic lda --data fashion-mnist" "NABLA_FASHION_MNIST=zero classic kmeans --data fashion-mnist" "NABLA_FASHION_MNIST=fifo.csv classic lda --data fashion-mnist"
 "NABLA_MEMORY_LIMIT=1k classic ridge --data diabetes" "NABLA_MEMORY_LIMIT=nonsense classic ridge --data diabetes" "classic qda --data digits --memory-limit 100k"
 "nosuch" "--nosuch" "-" "--" "classic ridge --data iris --data diabetes"
 "train fashion-cnn --batch-size 60000 --epochs 1 --output big1" "lab run fashion-cnn --set batch_size=60000 --set epochs=1 --output big2"
 "lab run fashion-mlp --set batch_size=60000 --set training_examples=60000 --memory-limit 512M --output big3"
 "train fashion-cnn --seed -1" "train --seed 18446744073709551616" "train --epochs -1" "train --epochs 9223372036854775807"
 "train --batch-size 0" "train --batch-size 99999999999999999999" "train --learning-rate nan" "train --learning-rate -1"
 "train --validation-fraction 2" "train --checkpoint-every -5" "train --memory-limit 0" "lab run fashion-mlp --set seed=-1"
 "lab run fashion-mlp --set batch_size=0" "lab run fashion-mlp --set epochs=1e400" "lab run fashion-mlp --checkpoint-every -1"
 "lab run fashion-mlp --memory-limit abc" "lab run nosuch" "lab run" "lab run fashion-mlp --resume run-bad"
 "bench train --seed -1" "bench classic --repetitions -1" "bench optim --repetitions abc" "classic ridge --seed 18446744073709551616"
 "classic ridge --limit 99999999999999999999" "classic ridge --penalty abc" "classic tsne --perplexity ''"
 "lab run fashion-mlp --quick --set training_examples=300 --set test_examples=100 --output keep"
 "lab run fashion-mlp --quick --set training_examples=300 --output keep" "train fashion-mlp --quick --output keep"
 "lab run fashion-mlp --quick --output ''" "NABLA_MEMORY_LIMIT=1M lab run fashion-cnn --quick --set model=plain --output small"
)
ok=0; err=0; bad=0; lost=0
for c in "${cases[@]}"; do
  # Every run folder made so far must keep its files: a later invocation may refuse it, never replace it.
  before=$(find . -path './*/*' -type f \( -name config.json -o -name 'checkpoint*.safetensors' -o -name summary.json \) 2>/dev/null | sort | xargs -r md5sum)
  timeout 60 bash -c "env $(echo $c | grep -o '^NABLA_[A-Z_]*=[^ ]*') $B ${c#NABLA_*=* }" > out.txt 2> err.txt < /dev/null; rc=$?
  if [ $rc -eq 0 ]; then ok=$((ok+1)); elif [ $rc -eq 1 ] || [ $rc -eq 64 ]; then err=$((err+1)); else bad=$((bad+1)); echo "FAIL rc=$rc: nabla $c"; tail -3 err.txt; fi
  if [ -n "$VERBOSE" ]; then echo "== rc=$rc nabla $c"; head -c 400 err.txt; fi
  if [ -n "$before" ] && ! echo "$before" | md5sum -c --quiet > /dev/null 2>&1; then lost=$((lost+1)); echo "DATA LOSS after: nabla $c"; fi
  find . -name '.checkpoint.safetensors.tmp-*' | grep -q . && { lost=$((lost+1)); echo "TEMPORARY FILES LEFT after: nabla $c"; }
done
echo "careless-user script: ${#cases[@]} invocations, $ok succeeded, $err refused with a message, $bad traps/hangs/kills, $lost data losses"
