"""Stable-Baselines3 peer of `nabla bench rl`: PPO and DQN training on CartPole-v1 with the RL zoo's
hyper-parameters (the ones Nabla's PPOConfiguration and DQNConfiguration default to), timing `learn`
alone. Prints one JSON line per algorithm: steps, seconds, steps_per_s, the mean return of the last 100
training episodes, and the torch threads used.

    python sb3_rl.py [--ppo-steps 100000] [--dqn-steps 50000] [--seed 0] [--threads N] [--only ppo|dqn]
"""
import argparse
import json
import time

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.env_util import make_vec_env

parser = argparse.ArgumentParser()
parser.add_argument("--ppo-steps", type=int, default=100_000)
parser.add_argument("--dqn-steps", type=int, default=50_000)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
parser.add_argument("--only", choices=["ppo", "dqn"])
options = parser.parse_args()
if options.threads > 0:
    torch.set_num_threads(options.threads)


def linear(start):
    return lambda remaining: remaining * start


def report(name, model, steps, seconds):
    returns = [info["r"] for info in model.ep_info_buffer]
    print(json.dumps({"benchmark": "rl", "workload": f"{name}-cartpole", "peer": "stable-baselines3",
                      "steps": steps, "seconds": seconds, "steps_per_s": steps / seconds,
                      "mean_return": float(np.mean(returns)) if returns else None,
                      "threads": torch.get_num_threads()}), flush=True)


if options.only in (None, "ppo"):
    environments = make_vec_env("CartPole-v1", n_envs=8, seed=options.seed)
    model = PPO("MlpPolicy", environments, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20,
                ent_coef=0.0, learning_rate=linear(1e-3), clip_range=linear(0.2), seed=options.seed, device="cpu")
    start = time.perf_counter()
    model.learn(total_timesteps=options.ppo_steps)
    report("ppo", model, model.num_timesteps, time.perf_counter() - start)

if options.only in (None, "dqn"):
    model = DQN("MlpPolicy", gym.make("CartPole-v1"), learning_rate=2.3e-3, batch_size=64, buffer_size=100_000,
                learning_starts=1_000, gamma=0.99, target_update_interval=10, train_freq=256, gradient_steps=128,
                exploration_fraction=0.16, exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256]),
                seed=options.seed, device="cpu")
    start = time.perf_counter()
    model.learn(total_timesteps=options.dqn_steps)
    report("dqn", model, model.num_timesteps, time.perf_counter() - start)
