"""Training of the landmark (heatmap) networks; needs torch and MONAI (`pip install .[train]`).

Running a trained model needs neither: see `radiographqc.models`.
"""
