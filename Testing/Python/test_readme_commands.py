"""The README's test command and .ci/run must not drift apart."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands():
    text = (ROOT / "README.md").read_text()
    blocks = text.split("```bash\n")[1:]
    return [b.split("\n```")[0].strip() for b in blocks[:2]]


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci_lines == [readme_commands()[1]]


def test_readme_opens_with_the_main_job_then_the_tests():
    main_job, tests = readme_commands()
    assert "radiographqc wrist Resources/Samples/wrist" in main_job
    assert "radiographqc lumbar Resources/Samples/lumbar" in main_job
    assert "pytest" in tests
