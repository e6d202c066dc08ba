"""The single-process parts of distributed training: FSDP's units read from the module map,
the restarted worker's run folder, `--fsdp` refused outside torchrun. (The runs themselves
under torchrun: test_torchrun.py.)"""

from pathlib import Path

from archlang.api import check, load, shard_units
from archlang.cli import main
from archlang.train import TrainConfig, checkpoint
from archlang.ir.trainconfig import resumed
from archlang.train.runs import restarted_run

ROOT = Path(__file__).resolve().parents[2]

SPEC = """
block Body(c) = Chain(Dense(c => c, relu), Dense(c => c))
block Two(c) = Chain(Body(c), Dense(c => c))
model tiny(x: 8×8×1) = Chain(
    flatten,
    Dense(64 => 16, relu),
    repeat(2, Body(16)),
    repeat(2, Dense(16 => 16, relu)),
    Two(16),
    repeat(3, Chain(Dense(16 => 16, relu), Dense(16 => 16))),
    Dense(16 => 10),
)
"""


def test_units_are_blocks_and_repeat_copies_innermost_first():
    report = check(SPEC).model("tiny")
    units = shard_units(report)
    # A block call is its submodule; an inline repeat copy is its layers, together; a block
    # inside a block comes before it; fc1 and fc10 (no block) are left to the root.
    assert units == [("bodys1.0",), ("bodys1.1",), ("fc2",), ("fc3",), ("two1.body1",),
                     ("two1",), ("fc4", "fc5"), ("fc6", "fc7"), ("fc8", "fc9")]
    module = load(SPEC)
    for unit in units:
        for path in unit:
            module.get_submodule(path)           # every path names a real submodule


def test_folded_repeat_units_stand_for_every_copy():
    spec = SPEC.replace("Two(16),", "repeat(2000, Two(16)),")
    report = check(spec).model("tiny")
    units = shard_units(report)
    folded = [u[0] for u in units if u[0].startswith("twos1.")]
    assert len(folded) == 4000 and folded[:4] == ["twos1.0.body1", "twos1.0", "twos1.1.body1",
                                                  "twos1.1"]
    assert folded[-1] == "twos1.1999"
    load(spec).get_submodule("twos1.1999.body1")


def test_restarted_worker_continues_only_its_own_launch(tmp_path, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    checkpoint.save(run / "last.pt", {"epoch": 1, "launch": "abc"})
    assert restarted_run(str(run), "m") is None                 # not under torchrun
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "abc")
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "0")
    assert restarted_run(str(run), "m") is None                 # a first start
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "1")
    assert restarted_run(str(run), "m") == run
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "another launch")
    assert restarted_run(str(run), "m") is None                 # an older run: never resumed
    assert restarted_run(str(tmp_path / "fresh"), "m") is None  # nothing written yet


def test_fsdp_needs_several_processes(tmp_path, capsys):
    spec = ROOT / "tests" / "fixtures" / "train" / "mlp.arch"
    code = main(["train", str(spec), "--fsdp", "--epochs", "1", "--device", "cpu",
                 "--out", str(tmp_path / "run"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "--fsdp shards the model over torchrun's processes" in err
    assert "torchrun --nproc-per-node N" in err
    assert not (tmp_path / "run").exists()


def test_fsdp_is_a_setting_a_resumed_run_keeps():
    assert TrainConfig.from_section({"fsdp": "true"}).fsdp is True
    assert TrainConfig().fsdp is False
    kept, warnings = resumed({"fsdp": True}, TrainConfig(), given=["fsdp"])
    assert kept.fsdp is True   # its checkpoints are shards: the run stays sharded
    assert warnings == ["--fsdp False ignored: the resumed run keeps its fsdp = True"]
