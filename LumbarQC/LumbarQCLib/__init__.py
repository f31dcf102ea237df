"""Slicer-side logic of the LumbarQC module (no Qt): see logic.LumbarQCLogic."""
