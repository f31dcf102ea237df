"""Slicer-side logic of the WristQC module (no Qt): see logic.WristQCLogic."""
