"""Rasa 3.6 as the peer of the NLU benchmarks: runs inside Rasa's own Python, never in ours.

    RASA_PYTHON -m ... (started by bench/_rasa_peer.py; not meant to be run by hand)

Trains `rasa train nlu`'s pipeline on the given config and data through Rasa's API, loads the model
as `rasa run` would (Agent.load) and answers parse requests one message at a time, timing each
parse inside this process so the pipe to the benchmark is not counted.

Protocol (JSON lines): the first line written is {"train_seconds", "train_cpu_seconds", "load_seconds"};
then each line read is a JSON string (a message text), answered by Rasa's parse result plus "_parse_seconds";
an empty line ends the run and is answered with {"peak_rss_mb"}. Rasa's own output goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time

from _cpu import cpu_seconds  # bench/ is this script's folder, so first on sys.path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--data", required=True, help="a file or a folder of NLU YAML")
    parser.add_argument("--out", required=True, help="folder for the model archive")
    args = parser.parse_args()

    # Answers go to the real stdout; everything Rasa and TensorFlow print goes to stderr.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    started, cpu_started = time.perf_counter(), cpu_seconds()
    model = train_nlu(args.config, args.data, args.out, fixed_model_name="peer")
    train_seconds = time.perf_counter() - started
    train_cpu_seconds = cpu_seconds() - cpu_started
    if not model:
        raise SystemExit("rasa train nlu produced no model")

    loop = asyncio.new_event_loop()
    started = time.perf_counter()
    agent = Agent.load(model)
    load_seconds = time.perf_counter() - started
    answers.write(json.dumps({"train_seconds": train_seconds, "train_cpu_seconds": train_cpu_seconds,
                              "load_seconds": load_seconds}) + "\n")

    for line in sys.stdin:
        if not line.strip():
            break
        text = json.loads(line)
        started = time.perf_counter()
        parsed = loop.run_until_complete(agent.parse_message(text))
        parsed["_parse_seconds"] = time.perf_counter() - started
        answers.write(json.dumps(parsed, default=float) + "\n")
    answers.write(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}) + "\n")


if __name__ == "__main__":
    main()
