"""Whether the Hugging Face hub can be reached: one quick probe for the model and the data paths.

An offline machine should fail in seconds with a one-line error, not after a minute of the hub
client's retries.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

from huggingface_hub import constants

HUB_OFFLINE = ("HF_HUB_OFFLINE",)
DATASETS_OFFLINE = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
TIMEOUT_S = 3.0


def hub_reachable(offline_variables: tuple[str, ...] = HUB_OFFLINE, timeout: float = TIMEOUT_S) -> bool:
    """False when one of `offline_variables` is set (1, true, yes, on) or the hub's host takes no connection."""
    if any(os.environ.get(v, "").lower() in ("1", "true", "yes", "on") for v in offline_variables):
        return False
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True  # a direct probe says nothing behind a proxy: let the hub client try
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True
