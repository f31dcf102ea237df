"""Test data for the WristQC logic tests: a small synthetic DX file with a lead marker."""
import numpy as np

# 500 rows x 480 columns of 0.2 mm x 0.25 mm (anisotropic on purpose): 10 cm high, 12 cm wide.
ROWS, COLS, ROW_MM, COL_MM = 500, 480, 0.2, 0.25
HEADER = {"PatientID": "QC-1", "PatientName": "Test^Wrist", "PatientSex": "F", "PatientBirthDate": "19700101",
          "PatientAge": "055Y", "StudyDate": "20260101", "StudyTime": "101010", "InstitutionName": "Test",
          "Manufacturer": "RadiographQC", "ManufacturerModelName": "sim", "SoftwareVersions": "1",
          "KVP": 55, "DistanceSourceToDetector": 1100, "ExposureTime": 10}


def letter_r(height=60, width=34, stroke=10):
    """Mask of a lead "R" drawn with thick strokes (stem, bowl, leg)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (width + stroke, height + stroke))
    draw, s, w, h = ImageDraw.Draw(image), stroke // 2, width, height
    draw.line([(s, s), (s, h + s)], fill=255, width=stroke)
    draw.line([(s, s), (w * 0.6 + s, s), (w * 0.85 + s, h * 0.12 + s), (w * 0.85 + s, h * 0.35 + s),
               (w * 0.6 + s, h * 0.48 + s), (s, h * 0.48 + s)], fill=255, width=stroke, joint="curve")
    draw.line([(w * 0.35 + s, h * 0.48 + s), (w * 0.9 + s, h + s)], fill=255, width=stroke)
    return np.asarray(image) > 0


def write_wrist_dicom(path, photometric="MONOCHROME2"):
    """A smooth forearm-like picture with a lead "R" in the top right corner; every header item present."""
    from radiographqc.dicom_write import write_dx

    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    pixels = (100 + 800 * np.exp(-((xx - COLS / 2) / 60.0) ** 2) + 0.3 * yy).astype(np.float32)
    letter = letter_r()
    pixels[30:30 + letter.shape[0], 380:380 + letter.shape[1]][letter] = 3000
    return write_dx(path, pixels, spacing_mm=(ROW_MM, COL_MM), photometric=photometric, view_position="PA",
                    laterality="R", body_part="HAND", header=dict(HEADER), window=(500.0, 1000.0))
