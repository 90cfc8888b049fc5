#!/usr/bin/env python3
"""Install the right build of PyTorch into an environment before sklearn-ka (used by ``make setup``).

The decision, in order:

1. ``--index URL`` (the Makefile's ``TORCH_INDEX``) is given and not empty: pip installs
   ``--spec`` from that index only (``pip install --index-url URL SPEC``). Nothing is detected.
2. The target environment already imports ``torch``: that build is kept and nothing is installed.
3. An NVIDIA GPU is present (``nvidia-smi`` on ``PATH``, or ``/proc/driver/nvidia/version``):
   the ordinary build from the ordinary package index (``pip install SPEC``; on Linux x86-64
   PyPI's torch wheel is the CUDA build).
4. No NVIDIA GPU, and PyTorch's CPU wheel index (:data:`CPU_INDEX`) answers within
   ``--timeout`` seconds: ``pip install --index-url CPU_INDEX SPEC``. The CPU index also hosts
   torch's own dependencies (filelock, sympy, networkx, jinja2, fsspec, ...), so pip needs no
   second index, and torch can only come from there: the CUDA build cannot be picked by accident.
   Should that install fail (for instance no wheel of SPEC for this Python there), the ordinary
   index is tried once, and the script says so.
5. No NVIDIA GPU and the CPU index does not answer (no internet, a firewall, a private mirror):
   the ordinary package index, as configured for pip (``pip install SPEC``). pip's own
   configuration (``index-url``, ``find-links``, ``extra-index-url``) applies unchanged.

The choice and the pip command are printed before pip runs. ``--dry-run`` prints them and installs
nothing. Standard library only: it runs before anything is installed.

The decision itself is :func:`choose_install`, a pure function of its inputs; the two probes
(:func:`detect_nvidia_gpu`, :func:`index_reachable`) take their system calls as arguments, so
tests/packaging/test_select_torch.py checks every branch without a GPU or a network.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
DEFAULT_SPEC = "torch==2.13.0"
DEFAULT_TIMEOUT = 3.0
NVIDIA_PROC_FILE = "/proc/driver/nvidia/version"
PREFIX = "select_torch:"


@dataclass(frozen=True)
class Choice:
    """What to install and why.

    Attributes
    ----------
    action : {"install", "keep"}
        ``"keep"``: torch is already importable in the target environment, nothing is installed.
    index_url : str or None
        Passed to pip as ``--index-url``; ``None`` uses pip's configured (ordinary) index.
    reason : str
        One sentence, printed.
    fallback : bool
        Whether a failed install from ``index_url`` is retried once from the ordinary index.
    """

    action: str
    index_url: str | None
    reason: str
    fallback: bool = False


def detect_nvidia_gpu(which: Callable[[str], str | None] = shutil.which,
                      exists: Callable[[str], bool] = os.path.exists) -> tuple[bool, str]:
    """Whether this machine has an NVIDIA GPU (driver installed), and how that was decided.

    Parameters
    ----------
    which : callable, default=shutil.which
        ``which(name) -> path or None``, to look ``nvidia-smi`` up on ``PATH``.
    exists : callable, default=os.path.exists
        ``exists(path) -> bool``, to look for the NVIDIA kernel driver's ``/proc`` file.

    Returns
    -------
    found : bool
    evidence : str
    """
    smi = which("nvidia-smi")
    if smi:
        return True, f"nvidia-smi found at {smi}"
    if exists(NVIDIA_PROC_FILE):
        return True, f"{NVIDIA_PROC_FILE} exists"
    return False, f"no nvidia-smi on PATH and no {NVIDIA_PROC_FILE}"


def _ssl_context():
    # Honour the certificate bundle pip is told to use (corporate proxies), else the system's.
    cafile = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE")
    if cafile and os.path.isfile(cafile):
        return ssl.create_default_context(cafile=cafile)
    return ssl.create_default_context()


def _urlopen_status(url: str, timeout: float) -> int:
    # A GET (some static hosts answer HEAD with 403/405); only the status line and headers are read.
    request = urllib.request.Request(url, headers={"User-Agent": "sklearn-ka-setup"})
    with urllib.request.urlopen(request, timeout=timeout, context=_ssl_context()) as response:
        return response.status


def index_reachable(index_url: str = CPU_INDEX, timeout: float = DEFAULT_TIMEOUT, *,
                    opener: Callable[[str, float], int] = _urlopen_status) -> tuple[bool, str]:
    """Whether ``index_url`` serves a torch project page, within ``timeout`` seconds.

    Parameters
    ----------
    index_url : str, default=CPU_INDEX
        A PEP 503 "simple" index; its ``torch/`` page is requested (HTTP GET, body not read).
    timeout : float, default=3.0
        Seconds before giving up (name resolution failures are usually immediate).
    opener : callable, default=GET request with urllib
        ``opener(url, timeout) -> HTTP status``; may raise ``OSError`` (``URLError``,
        ``TimeoutError``, ...) or ``ValueError``.

    Returns
    -------
    reachable : bool
        True when the page answers with a 2xx status.
    detail : str
    """
    url = index_url.rstrip("/") + "/torch/"
    try:
        status = opener(url, timeout)
    except urllib.error.HTTPError as exc:
        return False, f"{url} answered HTTP {exc.code}"
    except (OSError, ValueError) as exc:  # URLError, socket.timeout, ssl errors, bad URLs
        reason = getattr(exc, "reason", exc)
        return False, f"{url} did not answer ({type(exc).__name__}: {reason})"
    if 200 <= status < 300:
        return True, f"{url} answered HTTP {status}"
    return False, f"{url} answered HTTP {status}"


def choose_install(*, forced_index: str | None, installed_torch: str | None,
                   gpu: tuple[bool, str], cpu_index_probe: Callable[[], tuple[bool, str]],
                   cpu_index: str = CPU_INDEX) -> Choice:
    """Decide where torch comes from (see the module docstring for the rules).

    Parameters
    ----------
    forced_index : str or None
        ``TORCH_INDEX``; empty or ``None`` means "decide automatically".
    installed_torch : str or None
        The version of torch the target environment already imports, or ``None``.
    gpu : (bool, str)
        The result of :func:`detect_nvidia_gpu`.
    cpu_index_probe : callable
        ``() -> (reachable, detail)``, e.g. ``lambda: index_reachable(CPU_INDEX)``; only called
        on a machine without an NVIDIA GPU.
    cpu_index : str, default=CPU_INDEX

    Returns
    -------
    Choice
    """
    if forced_index and forced_index.strip():
        index = forced_index.strip()
        return Choice("install", index, f"TORCH_INDEX is set: installing from {index} only")
    if installed_torch:
        return Choice("keep", None, f"torch {installed_torch} is already installed in the environment; keeping it "
                                    "(remove the environment to choose again)")
    has_gpu, evidence = gpu
    if has_gpu:
        return Choice("install", None, f"NVIDIA GPU found ({evidence}): the ordinary build from the ordinary "
                                       "package index")
    reachable, detail = cpu_index_probe()
    if reachable:
        return Choice("install", cpu_index, f"no NVIDIA GPU ({evidence}); PyTorch's CPU wheel index is reachable "
                                            f"({detail}): the CPU build from {cpu_index}", fallback=True)
    return Choice("install", None, f"no NVIDIA GPU ({evidence}); PyTorch's CPU wheel index is not reachable "
                                   f"({detail}): falling back to the ordinary package index")


def pip_command(python: str, spec: str, index_url: str | None) -> list[str]:
    """The pip command line that installs ``spec`` into ``python``'s environment."""
    command = [python, "-m", "pip", "install"]
    if index_url:
        command += ["--index-url", index_url]
    return command + [spec]


def installed_torch_version(python: str,
                            run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> str | None:
    """The torch version ``python`` imports, or ``None`` when it cannot import torch."""
    try:
        result = run([python, "-c", "import torch; print(torch.__version__)"],
                     capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def _format(command: Sequence[str]) -> str:
    return " ".join(shlex.quote(part) for part in command)


def main(argv: Sequence[str] | None = None, *,
         run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> int:
    parser = argparse.ArgumentParser(
        prog="select_torch.py",
        description="Install the CPU or GPU build of PyTorch into an environment (see the module docstring).",
    )
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter of the target environment (default: this one)")
    parser.add_argument("--spec", default=os.environ.get("TORCH_SPEC") or DEFAULT_SPEC,
                        help="the requirement to install (default: $TORCH_SPEC or %(default)s)")
    parser.add_argument("--index", default=os.environ.get("TORCH_INDEX", ""),
                        help="install from this index only, skipping detection ($TORCH_INDEX; empty: automatic)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds to wait for PyTorch's CPU wheel index (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="install even when the environment already imports torch")
    parser.add_argument("--dry-run", action="store_true", help="print the choice and the pip command only")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")

    installed = None if (args.force or args.index.strip()) else installed_torch_version(args.python, run=run)
    choice = choose_install(
        forced_index=args.index,
        installed_torch=installed,
        gpu=detect_nvidia_gpu(),
        cpu_index_probe=lambda: index_reachable(CPU_INDEX, args.timeout),
    )
    print(f"{PREFIX} {choice.reason}", flush=True)
    if choice.action == "keep":
        return 0
    command = pip_command(args.python, args.spec, choice.index_url)
    print(f"{PREFIX} {_format(command)}", flush=True)
    if args.dry_run:
        return 0
    returncode = run(command).returncode
    if returncode != 0 and choice.fallback:
        command = pip_command(args.python, args.spec, None)
        print(f"{PREFIX} installing from {choice.index_url} failed (exit {returncode}); "
              f"trying the ordinary package index: {_format(command)}", flush=True)
        returncode = run(command).returncode
    return returncode


if __name__ == "__main__":
    raise SystemExit(main())
