"""The certification record and its three renderings: JSON, Markdown and a terminal table.

This module owns what a certification run found and how the overall verdict
follows from it; it computes no statistics and writes no files. A check that
fails on the first sample is re-run on a fresh, independent sample (NIST SP
800-22 section 4.2 asks for exactly this before calling a generator broken),
and only a check that fails on both counts against the generator. A dieharder
FAILED counts at once: dieharder already resolves its doubtful results.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from rng.battery.proportion import UNIFORMITY_THRESHOLD, SecondLevelResult, false_alarm_rate
from rng.battery.result import ALPHA, TestResult
from rng.battery.suite import NistParameters
from rng.certification import SCALED_RANGES, Evaluation
from rng.external import ToolResult


@dataclass(frozen=True, slots=True)
class Attempt:
    """One independent sample and everything found on it."""

    number: int
    evaluation: Evaluation
    ent: tuple[ToolResult, ...] | None  # None: ent was not run
    seconds: float

    @property
    def failures(self) -> frozenset[str]:
        ent_failures = {f"ent {r.name}" for r in self.ent or () if r.failed}
        return self.evaluation.failures | ent_failures


@dataclass(frozen=True, slots=True)
class Certification:
    generator: str
    generator_label: str
    sample_bytes: int
    sequences: int
    sequence_bits: int
    draws_per_range: int
    shuffles_per_shoe: int
    parameters: NistParameters
    attempts: tuple[Attempt, ...]
    dieharder: tuple[ToolResult, ...] | None  # None: dieharder was not run
    notes: tuple[str, ...]
    environment: dict[str, str]
    started: str
    seconds: float

    @property
    def confirmed_failures(self) -> frozenset[str]:
        confirmed = frozenset.intersection(*(a.failures for a in self.attempts))
        return confirmed | {f"dieharder {r.name}" for r in self.dieharder or () if r.failed}

    @property
    def passed(self) -> bool:
        return not self.confirmed_failures

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"


def first_sample_false_alarm(cert: Certification) -> float:
    """Chance that a perfect generator fails some check of one sample (treated as independent)."""
    evaluation = cert.attempts[0].evaluation
    families = len(evaluation.families)
    single_tests = len(evaluation.pooled) + sum(
        1 for r in cert.attempts[0].ent or () if r.p_value is not None
    )
    family_pass = (1.0 - false_alarm_rate(cert.sequences)) * (1.0 - UNIFORMITY_THRESHOLD)
    return 1.0 - family_pass**families * (1.0 - ALPHA) ** single_tests


def to_json(cert: Certification) -> str:
    document = {
        "verdict": cert.verdict.lower(),
        "confirmed_failures": sorted(cert.confirmed_failures),
        "generator": {"name": cert.generator, "label": cert.generator_label},
        "sample": {
            "raw_bytes": cert.sample_bytes,
            "sequences": cert.sequences,
            "bits_per_sequence": cert.sequence_bits,
            "draws_per_scaled_range": cert.draws_per_range,
            "shuffles_per_shoe": cert.shuffles_per_shoe,
            "scaled_ranges": [
                {"name": s.name, "label": s.label, "bins": s.bins} for s in SCALED_RANGES
            ],
        },
        "parameters": {**cert.parameters.as_dict(), "alpha": ALPHA},
        "environment": cert.environment,
        "started_utc": cert.started,
        "seconds": round(cert.seconds, 1),
        "first_sample_false_alarm_probability": first_sample_false_alarm(cert),
        "attempts": [_attempt_json(a) for a in cert.attempts],
        "dieharder": [r.as_dict() for r in cert.dieharder] if cert.dieharder is not None else None,
        "notes": list(cert.notes),
    }
    return _layout(_finite(document)) + "\n"


def _attempt_json(attempt: Attempt) -> dict[str, object]:
    evaluation = attempt.evaluation
    return {
        "number": attempt.number,
        "seconds": round(attempt.seconds, 1),
        "failures": sorted(attempt.failures),
        "second_level": [f.as_dict() for f in evaluation.families],
        "pooled": [r.as_dict() for r in evaluation.pooled],
        "ent": [r.as_dict() for r in attempt.ent] if attempt.ent is not None else None,
        # Every sequence's result, per test: [[statistic, P-value, passed], ...].
        "sequences": {
            name: [
                [s, p, p >= ALPHA] for s, p in zip(evaluation.statistics[name], values, strict=True)
            ]
            for name, values in evaluation.p_values.items()
        },
    }


def _layout(value: object, indent: int = 0, depth: int = 4) -> str:
    """JSON with objects on their own lines down to `depth`, and every list of numbers on one."""
    pad = " " * (indent + 1)
    if depth and isinstance(value, dict) and value:
        items = [
            f"{pad}{json.dumps(k)}: {_layout(v, indent + 1, depth - 1)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if depth and isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        items = [pad + _layout(v, indent + 1, depth - 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(value, allow_nan=False)


def _finite(value: object) -> object:
    # JSON has no NaN or infinity; an undefined statistic becomes null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def to_markdown(cert: Certification) -> str:
    lines = [
        "# RNG certification report",
        "",
        f"**Verdict: {cert.verdict}**" + _failure_note(cert),
        "",
        f"- Generator: {cert.generator_label}",
        f"- Started (UTC): {cert.started}; took {cert.seconds:.0f} s",
        f"- Sample: {cert.sample_bytes:,} raw bytes in {cert.sequences:,} sequences of "
        f"{cert.sequence_bits:,} bits; {cert.draws_per_range:,} draws per randbelow range, "
        f"{cert.shuffles_per_shoe:,} shuffles per shoe",
        "- Scaled draws, as the games make them: " + "; ".join(s.label for s in SCALED_RANGES),
        *(f"- {key}: {value}" for key, value in cert.environment.items()),
        "",
        "## How the verdict is reached",
        "",
        f"Every test runs on each sequence and passes at alpha = {ALPHA}. Over all "
        "sequences a test must then meet NIST SP 800-22 section 4.2: the proportion of "
        "passing sequences lies in p̂ ± 3·sqrt(p̂(1-p̂)/m) with p̂ = 0.99, and the P-values "
        f"are uniform (chi-square over ten bins, P >= {UNIFORMITY_THRESHOLD}). Pooled "
        "chi-squares over every draw and ent's whole-sample figures pass at alpha = "
        f"{ALPHA}. A perfect generator fails some check of one sample with probability "
        f"about {first_sample_false_alarm(cert):.1%}, so a failed check is re-run on a "
        "fresh sample and counts only if it fails again; a dieharder FAILED counts at once.",
        "",
        f"Parameters: {', '.join(f'{k} = {v}' for k, v in cert.parameters.as_dict().items())}.",
        "",
    ]
    for attempt in cert.attempts:
        lines += _attempt_markdown(attempt)
    lines += ["## dieharder", ""]
    if cert.dieharder is None:
        lines += ["Not run.", ""]
    else:
        lines += ["| test | P-value | assessment |", "|---|---:|---|"]
        lines += [f"| {r.name} | {_p(r.p_value)} | {r.assessment} |" for r in cert.dieharder]
        lines.append("")
    if cert.notes:
        lines += ["## Notes", "", *(f"- {note}" for note in cert.notes), ""]
    return "\n".join(lines)


def _failure_note(cert: Certification) -> str:
    if cert.passed:
        return ""
    return " (failed: " + ", ".join(sorted(cert.confirmed_failures)) + ")"


def _attempt_markdown(attempt: Attempt) -> list[str]:
    evaluation = attempt.evaluation
    lines = [
        f"## Sample {attempt.number} ({attempt.seconds:.0f} s)",
        "",
        "| test | sequences passed | proportion | acceptance interval | uniformity P | verdict |",
        "|---|---:|---:|---|---:|---|",
    ]
    lines += [_family_row(f) for f in evaluation.families]
    lines += ["", "| pooled test | statistic | P-value | verdict |", "|---|---:|---:|---|"]
    lines += [
        f"| {r.name} | {r.statistic:.4f} | {_p(r.p_value)} | {_verdict(r.passed)} |"
        for r in evaluation.pooled
    ]
    lines.append("")
    if attempt.ent is None:
        lines += ["ent: not run.", ""]
    else:
        lines += ["| ent | value | P-value | assessment |", "|---|---:|---:|---|"]
        lines += [
            f"| {r.name} | {_number(r.statistic)} | {_p(r.p_value)} | {r.assessment} |"
            for r in attempt.ent
        ]
        lines.append("")
    return lines


def _family_row(f: SecondLevelResult) -> str:
    return (
        f"| {f.name} | {f.passed_sequences}/{f.sequences} | {f.proportion:.4f} | "
        f"[{f.low:.4f}, {f.high:.4f}] | {_p(f.uniformity_p_value)} | {_verdict(f.passed)} |"
    )


def summary(cert: Certification) -> str:
    """The table printed at the end of `run.py rng-certify`."""
    width = max(len(name) for name in _all_names(cert)) + 2
    out = [
        f"RNG certification: {cert.generator_label}",
        f"sample: {cert.sample_bytes:,} bytes = {cert.sequences:,} sequences x "
        f"{cert.sequence_bits:,} bits; {cert.draws_per_range:,} draws per randbelow range, "
        f"{cert.shuffles_per_shoe:,} shuffles per shoe",
    ]
    for attempt in cert.attempts:
        header = f"sample {attempt.number}".ljust(width)
        out += ["", header + "passed       proportion  interval          uniformity  verdict"]
        for f in attempt.evaluation.families:
            passed = f"{f.passed_sequences}/{f.sequences}"
            interval = f"[{f.low:.4f},{f.high:.4f}]"
            out.append(
                f"{f.name:<{width}}{passed:<13}{f.proportion:<12.4f}{interval:<18}"
                f"{_p(f.uniformity_p_value):<12}{_verdict(f.passed)}"
            )
        out += [_single_row(r, width) for r in attempt.evaluation.pooled]
        out += [_tool_row(r, width) for r in attempt.ent or ()]
    if cert.dieharder:
        out.append("")
        out += [_tool_row(r, width) for r in cert.dieharder]
    out += ["", *cert.notes, f"verdict: {cert.verdict}{_failure_note(cert)}"]
    return "\n".join(out)


def _all_names(cert: Certification) -> list[str]:
    names = [f"sample {len(cert.attempts)}"]
    for attempt in cert.attempts:
        names += [f.name for f in attempt.evaluation.families]
        names += [r.name for r in attempt.evaluation.pooled]
        names += [f"ent {r.name}" for r in attempt.ent or ()]
    names += [f"dieharder {r.name}" for r in cert.dieharder or ()]
    return names


def _single_row(r: TestResult, width: int) -> str:
    statistic = "stat " + _number(r.statistic)
    return f"{r.name:<{width}}{statistic:<25}P {_p(r.p_value):<22}{_verdict(r.passed)}"


def _tool_row(r: ToolResult, width: int) -> str:
    name = f"{r.tool} {r.name}"
    value = "value " + _number(r.statistic)
    verdict = "FAIL" if r.failed else r.assessment.lower()
    return f"{name:<{width}}{value:<25}P {_p(r.p_value):<22}{verdict}"


def _verdict(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.6f}" if value >= 1e-6 else f"{value:.2e}"


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.6g}"
