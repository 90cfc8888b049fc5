"""The set-up's choice of torch build (build_tools/select_torch.py), without a GPU or a network.

Every probe is injected: GPU detection gets fake ``which``/``exists``, the index probe gets a fake
opener or a local socket, and ``main`` gets a fake ``run`` that records pip commands instead of
running them.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "build_tools" / "select_torch.py"


def _load():
    spec = importlib.util.spec_from_file_location("select_torch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


st = _load()

NO_GPU = (False, "no nvidia-smi on PATH and no /proc/driver/nvidia/version")
GPU = (True, "nvidia-smi found at /usr/bin/nvidia-smi")


def _probe(result, calls=None):
    def probe():
        if calls is not None:
            calls.append(1)
        return result

    return probe


# --- GPU detection -------------------------------------------------------------------------------


def test_gpu_detected_from_nvidia_smi_on_path():
    found, evidence = st.detect_nvidia_gpu(which=lambda name: f"/usr/bin/{name}", exists=lambda path: False)
    assert found
    assert "/usr/bin/nvidia-smi" in evidence


def test_gpu_detected_from_the_driver_proc_file():
    seen = []

    def exists(path):
        seen.append(path)
        return path == "/proc/driver/nvidia/version"

    found, evidence = st.detect_nvidia_gpu(which=lambda name: None, exists=exists)
    assert found
    assert seen == ["/proc/driver/nvidia/version"]
    assert "/proc/driver/nvidia/version" in evidence


def test_no_gpu_when_neither_sign_is_there():
    found, evidence = st.detect_nvidia_gpu(which=lambda name: None, exists=lambda path: False)
    assert not found
    assert "nvidia-smi" in evidence


# --- index reachability --------------------------------------------------------------------------


def test_index_probe_asks_for_the_torch_page_with_the_timeout():
    calls = []

    def opener(url, timeout):
        calls.append((url, timeout))
        return 200

    assert st.index_reachable("https://download.pytorch.org/whl/cpu/", 1.5, opener=opener)[0]
    assert calls == [("https://download.pytorch.org/whl/cpu/torch/", 1.5)]


@pytest.mark.parametrize(
    "error",
    [
        urllib.error.URLError(OSError(-2, "Name or service not known")),
        TimeoutError("timed out"),
        ConnectionRefusedError(111, "Connection refused"),
        urllib.error.HTTPError("https://x/torch/", 404, "Not Found", {}, None),
        ValueError("unknown url type"),
    ],
)
def test_index_probe_failures_mean_unreachable(error):
    def opener(url, timeout):
        raise error

    reachable, detail = st.index_reachable(st.CPU_INDEX, 2.0, opener=opener)
    assert not reachable
    assert "/torch/" in detail


@pytest.mark.parametrize("status, expected", [(200, True), (204, True), (301, False), (503, False)])
def test_index_probe_status_codes(status, expected):
    assert st.index_reachable(st.CPU_INDEX, 2.0, opener=lambda url, timeout: status)[0] is expected


@pytest.fixture
def no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_index_probe_gives_up_within_the_timeout_on_a_silent_server(no_proxy):
    # A socket that accepts connections (backlog) but never answers: the probe must time out.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/simple"
        start = time.monotonic()
        reachable, detail = st.index_reachable(url, 0.5)
        elapsed = time.monotonic() - start
    assert not reachable
    assert elapsed < 5.0
    assert "did not answer" in detail


def test_index_probe_against_a_local_index(no_proxy):
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # the name http.server dispatches to
            requests.append((self.command, self.path))
            ok = self.path == "/whl/cpu/torch/"
            body = b'<a href="torch-2.13.0+cpu-cp311-cp311-linux_x86_64.whl">torch</a>\n' * 2000 if ok else b""
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        assert st.index_reachable(f"{base}/whl/cpu", 5.0) == (True, f"{base}/whl/cpu/torch/ answered HTTP 200")
        reachable, detail = st.index_reachable(f"{base}/whl/cu999", 5.0)
        assert not reachable and "HTTP 404" in detail
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert requests == [("GET", "/whl/cpu/torch/"), ("GET", "/whl/cu999/torch/")]


# --- the decision --------------------------------------------------------------------------------


def test_no_gpu_and_cpu_index_reachable_uses_the_cpu_index():
    choice = st.choose_install(forced_index="", installed_torch=None, gpu=NO_GPU,
                               cpu_index_probe=_probe((True, "HTTP 200")))
    assert choice.action == "install"
    assert choice.index_url == st.CPU_INDEX == "https://download.pytorch.org/whl/cpu"
    assert choice.fallback
    assert "CPU" in choice.reason and "reachable" in choice.reason


def test_no_gpu_and_cpu_index_unreachable_falls_back_to_the_ordinary_index():
    choice = st.choose_install(forced_index=None, installed_torch=None, gpu=NO_GPU,
                               cpu_index_probe=_probe((False, "URLError: Name or service not known")))
    assert choice.action == "install"
    assert choice.index_url is None
    assert "not reachable" in choice.reason and "ordinary package index" in choice.reason
    assert "Name or service not known" in choice.reason


def test_gpu_uses_the_ordinary_index_without_probing():
    calls = []
    choice = st.choose_install(forced_index="", installed_torch=None, gpu=GPU,
                               cpu_index_probe=_probe((True, "HTTP 200"), calls))
    assert (choice.action, choice.index_url, choice.fallback) == ("install", None, False)
    assert "NVIDIA GPU found" in choice.reason
    assert calls == []


@pytest.mark.parametrize("gpu", [GPU, NO_GPU])
def test_torch_index_forces_the_index(gpu):
    calls = []
    choice = st.choose_install(forced_index=" https://download.pytorch.org/whl/cu128 ", installed_torch="2.13.0",
                               gpu=gpu, cpu_index_probe=_probe((True, "HTTP 200"), calls))
    assert (choice.action, choice.index_url) == ("install", "https://download.pytorch.org/whl/cu128")
    assert not choice.fallback
    assert "TORCH_INDEX" in choice.reason
    assert calls == []


@pytest.mark.parametrize("forced", ["", "   ", None])
def test_empty_torch_index_means_automatic(forced):
    choice = st.choose_install(forced_index=forced, installed_torch=None, gpu=NO_GPU,
                               cpu_index_probe=_probe((True, "HTTP 200")))
    assert choice.index_url == st.CPU_INDEX


def test_an_installed_torch_is_kept():
    calls = []
    choice = st.choose_install(forced_index="", installed_torch="2.13.0+cpu", gpu=NO_GPU,
                               cpu_index_probe=_probe((True, "HTTP 200"), calls))
    assert choice.action == "keep"
    assert "2.13.0+cpu" in choice.reason
    assert calls == []


def test_pip_command():
    assert st.pip_command("/v/bin/python", "torch==2.13.0", None) == [
        "/v/bin/python", "-m", "pip", "install", "torch==2.13.0"]
    assert st.pip_command("py", "torch>=2.2", st.CPU_INDEX) == [
        "py", "-m", "pip", "install", "--index-url", "https://download.pytorch.org/whl/cpu", "torch>=2.2"]


# --- main: what is printed and run ---------------------------------------------------------------


class FakeRun:
    """Stands in for subprocess.run: answers the torch-import probe, records pip commands."""

    def __init__(self, torch_version=None, pip_returncodes=(0,)):
        self.torch_version = torch_version
        self.pip_returncodes = list(pip_returncodes)
        self.pip_commands = []

    def __call__(self, command, **kwargs):
        if command[1] == "-c":
            if self.torch_version is None:
                return subprocess.CompletedProcess(command, 1, "", "ModuleNotFoundError: No module named 'torch'")
            return subprocess.CompletedProcess(command, 0, self.torch_version + "\n", "")
        self.pip_commands.append(list(command))
        return subprocess.CompletedProcess(command, self.pip_returncodes.pop(0))


@pytest.fixture
def offline(monkeypatch):
    """No GPU; the CPU index probe answers `reachable` and records its timeout."""
    state = {"reachable": False, "timeouts": []}

    def fake_probe(index_url, timeout, **kwargs):
        state["timeouts"].append(timeout)
        return state["reachable"], "fake probe"

    monkeypatch.setattr(st, "detect_nvidia_gpu", lambda: NO_GPU)
    monkeypatch.setattr(st, "index_reachable", fake_probe)
    monkeypatch.delenv("TORCH_INDEX", raising=False)
    monkeypatch.delenv("TORCH_SPEC", raising=False)
    return state


def test_main_unreachable_installs_from_the_ordinary_index(offline, capsys):
    run = FakeRun()
    assert st.main(["--python", "/v/bin/python", "--spec", "torch==2.13.0", "--timeout", "2"], run=run) == 0
    assert run.pip_commands == [["/v/bin/python", "-m", "pip", "install", "torch==2.13.0"]]
    assert offline["timeouts"] == [2.0]
    out = capsys.readouterr().out
    assert "not reachable" in out
    assert "select_torch: /v/bin/python -m pip install torch==2.13.0" in out


def test_main_cpu_index_failure_retries_the_ordinary_index_once(offline, capsys):
    offline["reachable"] = True
    run = FakeRun(pip_returncodes=(1, 0))
    assert st.main(["--python", "py", "--spec", "torch==2.13.0"], run=run) == 0
    assert run.pip_commands == [
        ["py", "-m", "pip", "install", "--index-url", st.CPU_INDEX, "torch==2.13.0"],
        ["py", "-m", "pip", "install", "torch==2.13.0"],
    ]
    assert "trying the ordinary package index" in capsys.readouterr().out


def test_main_forced_index_failure_is_not_retried(offline):
    run = FakeRun(pip_returncodes=(2,))
    assert st.main(["--python", "py", "--index", "https://example.invalid/whl"], run=run) == 2
    assert run.pip_commands == [["py", "-m", "pip", "install", "--index-url", "https://example.invalid/whl",
                                 st.DEFAULT_SPEC]]
    assert offline["timeouts"] == []


def test_main_reads_torch_index_and_torch_spec_from_the_environment(offline, monkeypatch):
    monkeypatch.setenv("TORCH_INDEX", "https://example.invalid/whl/cu128")
    monkeypatch.setenv("TORCH_SPEC", "torch>=2.5")
    run = FakeRun()
    assert st.main(["--python", "py"], run=run) == 0
    assert run.pip_commands == [["py", "-m", "pip", "install", "--index-url", "https://example.invalid/whl/cu128",
                                 "torch>=2.5"]]


def test_main_keeps_an_installed_torch(offline, capsys):
    run = FakeRun(torch_version="2.13.0+cpu")
    assert st.main(["--python", "py"], run=run) == 0
    assert run.pip_commands == []
    assert offline["timeouts"] == []
    assert "torch 2.13.0+cpu is already installed" in capsys.readouterr().out


def test_main_dry_run_installs_nothing(offline, capsys):
    offline["reachable"] = True
    run = FakeRun()
    assert st.main(["--python", "py", "--dry-run", "--force"], run=run) == 0
    assert run.pip_commands == []
    assert f"py -m pip install --index-url {st.CPU_INDEX} torch==2.13.0" in capsys.readouterr().out


def test_main_rejects_a_non_positive_timeout(offline):
    with pytest.raises(SystemExit) as exc:
        st.main(["--timeout", "0"], run=FakeRun())
    assert exc.value.code == 2


def test_script_runs_standalone_with_a_forced_index():
    # A forced index needs no probe: this runs the file as `make setup` does, offline.
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--python", "/v/bin/python", "--spec", "torch==2.13.0",
         "--index", "https://example.invalid/whl/cu128", "--dry-run"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert result.stdout.splitlines() == [
        "select_torch: TORCH_INDEX is set: installing from https://example.invalid/whl/cu128 only",
        "select_torch: /v/bin/python -m pip install --index-url https://example.invalid/whl/cu128 torch==2.13.0",
    ]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_makefile_passes_torch_spec_and_index_to_the_script(tmp_path):
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "-n", "setup", f"VENV={venv}", "TORCH_INDEX=https://example.invalid/whl", "TORCH_SPEC=torch>=2.5"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    expected = (f'{venv}/bin/python build_tools/select_torch.py --python {venv}/bin/python '
                f'--spec "torch>=2.5" --index "https://example.invalid/whl"')
    lines = result.stdout.splitlines()
    assert expected in lines
    # torch is chosen before the package (and its `torch>=2.2` requirement) is installed
    assert lines.index(expected) < next(i for i, line in enumerate(lines) if 'pip install -e ".[test]"' in line)
