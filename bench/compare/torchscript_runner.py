"""bench/compare.mjs child: the pinned torch running the same frozen TorchScript file from Python
(torch.jit.load, inference_mode, torch.set_num_threads = the bench's thread count).

Speaks the protocol of runner-loop.mjs: a "ready" JSON line, then "time N" / "quit" on stdin.
Arguments: --model --input (raw float32) --shape --threads --warmup --save-output.
"""

import argparse
import json
import sys
import time
import warnings

import numpy as np
import torch


def status_kb(field):
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def tensors(value):
    """Every tensor of a forward result, depth first (tensor, or lists/tuples of them)."""
    if isinstance(value, torch.Tensor):
        return [value]
    return [t for v in value for t in tensors(v)]


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    for name in ("--model", "--input", "--shape", "--save-output"):
        parser.add_argument(name, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    shape = [int(d) for d in args.shape.split(",")]
    x = torch.from_numpy(np.fromfile(args.input, dtype=np.float32).reshape(shape))
    rss_before = status_kb("VmRSS")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch >= 2.10 marks torch.jit deprecated
        module = torch.jit.load(args.model, map_location="cpu").eval()
    load_ms = (time.perf_counter() - t0) * 1e3

    with torch.inference_mode():
        t0 = time.perf_counter()
        outputs = tensors(module(x))
        first_ms = (time.perf_counter() - t0) * 1e3
        with open(args.save_output, "wb") as out:
            for t in outputs:
                out.write(t.float().contiguous().numpy().tobytes())
        for _ in range(1, max(1, args.warmup)):
            module(x)
        say({"ready": True, "version": torch.__version__, "load_ms": load_ms, "first_call_ms": first_ms,
             "output_shapes": [list(t.shape) for t in outputs], "rss_before_load_kb": rss_before})
        for line in sys.stdin:
            parts = line.split()
            if parts == ["quit"]:
                break
            if len(parts) != 2 or parts[0] != "time" or not parts[1].isdigit() or int(parts[1]) < 1:
                say({"error": f"unknown command: {line.strip()}"})
                continue
            samples = []
            for _ in range(int(parts[1])):
                t0 = time.perf_counter()
                module(x)
                samples.append((time.perf_counter() - t0) * 1e6)
            say({"samples_us": samples})
    say({"peak_rss_kb": status_kb("VmHWM")})


if __name__ == "__main__":
    main()
