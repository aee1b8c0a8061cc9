"""Which MATAC policy a process uses: ``matac.yaml`` in the policy folder, else the default.

The policy is read once per process and path, by the API and the projector alike, so the
rules that accept an incident at intake are the rules the projector checks it against.
A changed policy file takes effect when the services restart. A broken file is never
cached and never half-used: every use raises the loader's ``PolicyError``, which names the
file, the key and the problem.
"""

from __future__ import annotations

import threading
from pathlib import Path

from services.matac.policy import MatacPolicy, load_policy

POLICY_FILE = "matac.yaml"

_lock = threading.Lock()
_loaded: dict[Path | None, MatacPolicy] = {}


def policy_file(policy_dir: Path | None) -> Path | None:
    """The partnership's own policy file, or None when the packaged default applies."""
    if policy_dir is None:
        return None
    candidate = Path(policy_dir) / POLICY_FILE
    return candidate if candidate.exists() else None


def matac_policy(policy_dir: Path | None) -> MatacPolicy:
    """The validated policy for the folder (raises PolicyError for a broken file)."""
    path = policy_file(policy_dir)
    key = None if path is None else path.resolve()
    with _lock:
        policy = _loaded.get(key)
        if policy is None:
            policy = load_policy(key)
            _loaded[key] = policy
        return policy
