import json

import pytest

from stprompt_core.prompts.bank import load_bank, load_curated_bank
from tests.cli import run_cli


def _run(argv):
    return run_cli(["prompts", *argv])


def test_static_backend_writes_the_curated_bank(tmp_path, capsys):
    out = tmp_path / "bank.json"
    assert _run(["--dataset", "ucf_crime", "--backend", "static", "--out", str(out)]) == 0
    assert load_bank(out).to_dict() == load_curated_bank("ucf_crime").to_dict()
    assert "13 classes" in capsys.readouterr().out


def test_openai_backend_through_the_cli(tmp_path, chat_stub):
    out = tmp_path / "gen.json"
    url = f"http://127.0.0.1:{chat_stub.server_port}/v1"
    assert _run(["--dataset", "shanghaitech", "--backend", "openai", "--base-url", url, "--model", "stub",
                 "--seed", "5", "--n-normal", "3", "--n-per-class", "3", "--out", str(out)]) == 0
    bank = json.loads(out.read_text())
    assert bank["provenance"]["seed"] == 5 and bank["provenance"]["backend"] == "openai"
    assert len(bank["abnormal"]["abnormal"]) == 3


def test_unreachable_endpoint_exits_2_with_the_cause(tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc = _run(["--dataset", "synthvad", "--backend", "openai", "--base-url", f"http://127.0.0.1:{port}/v1",
               "--model", "m", "--out", str(tmp_path / "x.json")])
    assert rc == 2
    assert "cannot reach the OpenAI-compatible endpoint" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_unknown_backend_is_refused_by_argparse():
    with pytest.raises(SystemExit):
        _run(["--dataset", "synthvad", "--backend", "gpt", "--out", "x.json"])
