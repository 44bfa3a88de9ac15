"""Text of scanned pages from the OCR model that the rapidocr-onnxruntime wheel ships (no download)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(slots=True, frozen=True)
class OcrLine:
    bbox: tuple[float, float, float, float]  # in the image's pixels
    text: str
    score: float


class PageOcr:
    """Lazily loads the detection/recognition ONNX models on first use (about a second)."""

    def __init__(self, min_score: float = 0.5):
        self.min_score = min_score

    @cached_property
    def _engine(self):
        from rapidocr_onnxruntime import RapidOCR

        return RapidOCR()

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """Lines in reading order (top to bottom, then left to right)."""
        result, _ = self._engine(image)
        lines: list[OcrLine] = []
        for quad, text, score in result or []:
            if float(score) < self.min_score or not text.strip():
                continue
            xs = [point[0] for point in quad]
            ys = [point[1] for point in quad]
            lines.append(OcrLine((min(xs), min(ys), max(xs), max(ys)), text.strip(), float(score)))
        return sorted(lines, key=lambda line: (round(line.bbox[1] / 5), line.bbox[0]))
