"""`archlang from-torch`: writes the spec, exit 1 with a diagnostic for what no spec expresses,
2 for a wrong command line."""
from archlang.cli import main
from tests.fromtorch import nets


def test_writes_a_spec_that_checks_and_verifies(tmp_path, capsys):
    out = tmp_path / "r.arch"
    assert main(["from-torch", f"{nets.__file__}:SmallResNet", "--input", "32x32x3",
                 "--kwargs", "classes=4", "--verify", "-o", str(out)]) == 0
    assert 'Dense(32 => 4; name="fc")' in out.read_text()
    assert main(["fmt", "--check", str(out)]) == 0
    assert main(["check", str(out)]) == 0


def test_an_unsupported_operation_exits_1(capsys):
    assert main(["from-torch", f"{nets.__file__}:Unsupported", "--input", "8x8x3"]) == 1
    assert "cannot convert cumsum in Unsupported" in capsys.readouterr().err


def test_a_wrong_target_or_shape_exits_2(capsys):
    assert main(["from-torch", "no_such_module:Net", "--input", "8x8x3"]) == 2
    assert "cannot import no_such_module" in capsys.readouterr().err
    assert main(["from-torch", f"{nets.__file__}:LeNet", "--input", "28 by 28"]) == 2
    assert main(["from-torch", f"{nets.__file__}:LeNet", "--input", "28x28x1", "--kwargs", "oops"]) == 2
