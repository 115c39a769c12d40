"""Chapter 10, "Gradient checkpointing": what its reference solution shows.

Memory and time are measured while the notebook runs, so these tests read the printed
measurements and check only what must hold on any machine (the shape of the curves, which
segment length is best, that checkpoints lower the peak); exact counts are checked exactly."""

from __future__ import annotations

import re

import pytest

from .conftest import chapter_or_skip, text_with

CHAPTER, pytestmark = chapter_or_skip("10")


@pytest.fixture(scope="module")
def outputs(cell_outputs):
    """Every cell's (stdout, mime types of its displays) of the executed reference."""
    return cell_outputs(CHAPTER)


def _numbers(pattern: str, text: str) -> list[float]:
    return [float(x) for x in re.findall(pattern, text)]


def test_pictures_plots_and_widgets(outputs):
    kinds = [k for _, ks in outputs for k in ks]
    assert kinds.count("image/svg+xml") == 3  # plain graph, engine's checkpoints, yours
    assert kinds.count("image/png") == 5  # depth, timeline, segment length, √L, timing
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 1  # practice quiz


def test_training_memory_grows_with_depth_and_inference_memory_does_not(outputs):
    text = text_with(outputs, "forward under no_grad")
    training = _numbers(r"forward \+ backward:\s+([\d.]+)", text)
    inference = _numbers(r"no_grad:\s+([\d.]+)", text)
    depths = [4, 8, 16, 32, 64]
    assert len(training) == len(inference) == len(depths)
    # About one activation per layer: the slope between the shallowest and deepest network.
    slope = (training[-1] - training[0]) / (depths[-1] - depths[0])
    assert 0.9 < slope < 1.1, training
    assert max(inference) - min(inference) < 1, inference


def test_checkpoints_change_no_gradient(outputs):
    text = text_with(outputs, "largest difference between the gradients")
    assert float(text.split(":")[-1]) < 1e-12


def test_the_timeline_peaks_lower_with_checkpoints(outputs):
    text = text_with(outputs, "without checkpoints,")
    without, with_ = _numbers(r"([\d.]+) activations", text) + _numbers(r"([\d.]+) with them",
                                                                       text)
    assert without > 60 and with_ < without / 2, text


def test_restoring_the_random_state_matters(outputs):
    text = text_with(outputs, "preserve_rng_state=True")
    kept, lost = _numbers(r"checkpoints: ([\d.e+-]+)", text)
    assert kept == 0 and lost > 0.1, text


def test_the_best_segment_length_is_the_square_root(outputs):
    text = text_with(outputs, "segments of  8 layers")
    peaks = dict(zip([1, 2, 4, 8, 16, 32, 64], _numbers(r"peak\s+([\d.]+)", text)))
    assert min(peaks, key=peaks.get) == 8, peaks
    assert peaks[8] < 0.4 * peaks[1] and peaks[8] < 0.4 * peaks[64], peaks


def test_the_square_root_schedule_saves_more_the_deeper_the_network(outputs):
    text = text_with(outputs, "L = 100: no checkpoints")
    ratios = _numbers(r"\(([\d.]+) x\)", text)
    assert len(ratios) == 9 and ratios[-1] < 0.35 and ratios[-1] < ratios[0] / 3, ratios


def test_recomputation_is_counted_exactly(outputs):
    texts = [t for t, _ in outputs]
    assert ("layer calls in the forward pass: 64\n"
            "layer calls during backward:     56\n") in texts


def test_the_time_ratio_is_printed(outputs):
    text = text_with(outputs, "time ratio, checkpointed / plain")
    assert float(text.split(":")[-1]) > 0


def test_your_engine_trains_the_same_with_less_memory(outputs):
    plain = text_with(outputs, "without checkpoints: loss")
    yours = text_with(outputs, "with your checkpoints: loss")
    assert "the same losses as without checkpoints: True" in yours
    first, last, plain_peak = _numbers(r"([\d.]+)", plain.split("loss")[1])[:3]
    assert last < first / 2, plain
    your_peak = _numbers(r"peak ([\d.]+)", yours)[0]
    assert your_peak < plain_peak, (plain, yours)
