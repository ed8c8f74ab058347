# heron: the two commands of the README's Quick start, and the helpers behind them.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU wheel of torch (these machines have no GPU); see README for the CUDA build.
TORCH ?= torch==2.13.0
# ROS 2 network safety for every test run: discovery stays on this machine.
export ROS_AUTOMATIC_DISCOVERY_RANGE := LOCALHOST
export ROS_DOMAIN_ID ?= 42

.PHONY: demo test test-net bench-ray interop wheel-check venv venv-dev bench gpu-check default-model broad-model model-card metaworld-model metaworld-eval clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[dev,ros]'
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/heron run --instruction "put the red block in the bowl" --seed 0 --video outputs/demo.mp4

test: $(VENV)/.installed-dev
	mkdir -p .cache/ros_log
	ROS_LOG_DIR=$(CURDIR)/.cache/ros_log $(BIN)/python -m pytest -q -ra
	$(MAKE) test-net

# A plain wheel (pip wheel . --no-deps) installed, not editable, into a fresh venv: only heron in site-packages,
# and heron plan / heron run from a folder outside the repo (tests/packaging; a few minutes).
wheel-check: $(VENV)/.installed-dev
	HERON_WHEEL_CHECK=1 TORCH=$(TORCH) $(BIN)/python -m pytest -q -ra tests/packaging

# LeRobot interop: LeRobot 0.4.4 in a venv of its own (Python 3.11, CPU torch; recipe in tests/interop/make_venv.sh),
# reading heron's LeRobotDataset exports, writing datasets heron imports, and training a tiny ACT that heron eval
# runs through --policy lerobot:PATH. About a minute to build, once.
LEROBOT_VENV ?= .venv-lerobot
LEROBOT_PY ?= python3.11
$(LEROBOT_VENV)/.installed: tests/interop/make_venv.sh
	PY=$(LEROBOT_PY) tests/interop/make_venv.sh $(LEROBOT_VENV)

interop: $(VENV)/.installed-dev $(LEROBOT_VENV)/.installed
	HERON_LEROBOT_PYTHON=$(CURDIR)/$(LEROBOT_VENV)/bin/python $(BIN)/python -m pytest -q -ra tests/interop

# Meta-World MT50: the shipped metaworld-mt50 policy (docs/metaworld.md): 2,500 scripted demonstrations (about
# 55 min on 2 cores), one multi-task policy trained for 50 minutes and then 45 more with a fresh cosine, then the
# benchmark (10 episodes per task).
metaworld-model: $(VENV)/.installed-dev
	$(BIN)/heron collect --env metaworld --tasks mt50 --episodes-per-task 50 --workers 2 --noise 0.1 --out data/metaworld
	$(BIN)/heron train --config configs/train/metaworld.yaml
	$(BIN)/heron train --config configs/train/metaworld_continue.yaml
	rm -rf src/heron/policies/metaworld-mt50/*.json src/heron/policies/metaworld-mt50/*.safetensors
	mkdir -p src/heron/policies/metaworld-mt50
	cp runs/metaworld-continue/final/config.json runs/metaworld-continue/final/model.safetensors \
	   runs/metaworld-continue/final/stats.json runs/metaworld-continue/final/train_config.json src/heron/policies/metaworld-mt50/
	$(MAKE) metaworld-eval

metaworld-eval: $(VENV)/.installed-dev
	$(BIN)/heron eval --policy metaworld-mt50 --suite metaworld-mt50 --episodes 10 --workers 2 --json docs/results/metaworld-mt50.json
	$(BIN)/heron eval --policy metaworld-mt50 --suite metaworld-mt50 --episodes 1 --workers 2 --shuffle-instructions \
	   --json docs/results/metaworld-mt50-shuffled.json
	$(BIN)/python -m heron.evaluation.metaworld_card --eval docs/results/metaworld-mt50.json \
	   --shuffled docs/results/metaworld-mt50-shuffled.json --policy src/heron/policies/metaworld-mt50

bench: $(VENV)/.installed
	$(BIN)/heron bench sim
	$(BIN)/heron bench latency
	$(BIN)/heron bench loop

# One GPU check (docs/benchmarks.md#gpu-check): the default policy's ONNX step on CUDA and TensorRT against the
# CPU, a SmolVLM-256M-sized policy, training samples/s, peak GPU memory, in at most 8 minutes, into one JSON.
# Without a GPU it exits 0 within seconds, saying why. On a GPU machine install the CUDA build of torch first
# (docs/install.md#on-a-gpu-machine).
gpu-check: $(VENV)/.installed
	$(BIN)/heron bench gpu --json outputs/gpu-check.json

# Stage 4's data: chained (40%), recovery-start and randomised demonstrations (configs/collect/randomize.yaml).
BROAD_COLLECT = $(BIN)/heron collect --tasks all --episodes 3000 --out data/broad --workers 2 --seed 0 \
	--chain-fraction 0.4 --chain-length 2-5 --post-steps 2 --randomize configs/collect/randomize.yaml
# DAgger round 1 (stage 7's data): stage 6 drives 80% of the steps of 1,000 broad-style episodes, the expert labels
# every state reached, failures are kept (src/heron/collection/dagger.py; seeds from 500,000: disjoint from data/broad's and the suites').
DAGGER1_COLLECT = $(BIN)/heron collect --tasks all --episodes 1000 --out data/dagger --workers 2 --seed 500000 \
	--chain-fraction 0.4 --chain-length 2-5 --post-steps 2 --randomize configs/collect/randomize.yaml \
	--policy runs/small_broad_anneal/final --policy-share 0.8
# DAgger round 2 (stage 8's data): stage 7 drives, in scenes with table colour and field of view widened to the
# robust suite's severity, three post-success done steps.
DAGGER2_COLLECT = $(BIN)/heron collect --tasks all --episodes 1000 --out data/dagger2 --workers 2 --seed 600000 \
	--chain-fraction 0.4 --chain-length 2-5 --post-steps 3 --randomize configs/collect/randomize_wide.yaml \
	--policy runs/small_broad_dagger/final --policy-share 0.8
# How the shipped default (src/heron/policies/default) is made: plain data and three stages (stage 3 was the default until
# stage 8), then the broad data, stages 4-6 and two DAgger rounds (stages 7-8); copy stage 8. About 6.7 h on 2 CPU
# cores (README "Model card"). (The second collect also writes data/demos/paraphrases.json, which stage 3 draws from.)
default-model: $(VENV)/.installed
	$(BIN)/heron collect --tasks all --episodes 3000 --out data/demos --workers 2 --seed 0
	$(BIN)/heron train --config configs/train/small.yaml
	$(BIN)/heron collect --tasks all --episodes 6000 --out data/demos --workers 2 --seed 0
	$(BIN)/heron train --config configs/train/small_finetune.yaml
	$(BIN)/heron train --config configs/train/small_finetune_para.yaml
	$(MAKE) broad-model
	rm -rf src/heron/policies/default/*.json src/heron/policies/default/*.safetensors
	cp runs/small_broad_dagger2/final/config.json runs/small_broad_dagger2/final/model.safetensors \
	   runs/small_broad_dagger2/final/stats.json runs/small_broad_dagger2/final/train_config.json src/heron/policies/default/

# Stages 4-8 (README "Model card"), from stage 3 (runs/small_para/final): stage 4 continues it on chained, recovery
# and randomised data; stage 5 makes post-success steps done-only targets; stage 6 anneals 30 minutes with EMA and
# stack/push weighted; stages 7 and 8 are DAgger rounds (the policy of the stage before drives, the expert labels).
broad-model: $(VENV)/.installed
	$(BROAD_COLLECT)
	$(BIN)/heron train --config configs/train/small_broad.yaml
	$(BIN)/heron train --config configs/train/small_broad_fix.yaml max_minutes=17 steps=2000
	$(BIN)/heron train --config configs/train/small_broad_anneal.yaml
	$(DAGGER1_COLLECT)
	$(BIN)/heron train --config configs/train/small_broad_dagger.yaml
	$(DAGGER2_COLLECT)
	$(BIN)/heron train --config configs/train/small_broad_dagger2.yaml

# The model card's tables (README): evaluation scenes use seeds from 1,000,000 on, disjoint from the data's.
EVAL := $(BIN)/heron eval --policy default --runtime onnx --workers 2
model-card: $(VENV)/.installed
	$(EVAL) --suite seen --episodes 120 --json outputs/eval/seen.json
	$(EVAL) --suite heldout --episodes 120 --json outputs/eval/heldout.json
	$(EVAL) --suite seen --episodes 60 --shuffle-instructions --json outputs/eval/shuffled.json
	$(EVAL) --suite chains --episodes 30 --json outputs/eval/chains.json
	$(EVAL) --suite chains-done --episodes 30 --json outputs/eval/chains_done.json
	$(EVAL) --suite robust --episodes 48 --json outputs/eval/robust.json

clean:
	rm -rf $(VENV) $(LEROBOT_VENV) .cache outputs

# Tests that open network servers (Ray for heron collect|eval --ray; torchrun's rendezvous for multi-node training):
# only inside a private network namespace with loopback alone (Ray listens on every interface and reaches for the
# cloud metadata address by default), Ray's usage statistics off. Needs root for unshare (CI runs as root).
NET_TESTS = tests/parallel/ray tests/training/multinode
test-net: $(VENV)/.installed-dev
	RAY_USAGE_STATS_ENABLED=0 HERON_PRIVATE_NET_TESTS=1 unshare -n sh -c 'ip link set lo up && $(BIN)/python -m pytest -q -ra $(NET_TESTS)'

# heron bench ray (docs/distributed.md): local workers against a private Ray, in a private network namespace.
bench-ray: $(VENV)/.installed-dev
	RAY_USAGE_STATS_ENABLED=0 unshare -n sh -c 'ip link set lo up && $(BIN)/heron bench ray --episodes 40 --workers 2'
