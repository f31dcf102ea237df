"""radiographqc.dicom_io.refresh_decoders: in Slicer the module installs pylibjpeg after pydicom
was imported, and pydicom settles at import which decoders it has.

Run under pydicom 2.4 and 3. The case runs in a subprocess, so this session's pydicom is left as
it was imported; the files ship with pydicom."""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from pydicom import uid
from pydicom.data import get_testdata_file

from radiographqc import dicom_io

ROOT = Path(__file__).resolve().parents[2]
FILES = {  # a file per pylibjpeg plugin: libjpeg (JPEG, JPEG-LS), openjpeg, rle
    "jpeg": "JPGExtended.dcm", "jpeg-ls": "MR_small_jpeg_ls_lossless.dcm",
    "j2k": "MR_small_jp2klossless.dcm", "rle": "MR_small_RLE.dcm",
}
# Decoders whose plugin order is compared; JPEG baseline because Pillow decodes it too.
SYNTAXES = (uid.JPEGBaseline8Bit, uid.JPEGExtended12Bit, uid.JPEGLSLossless,
            uid.JPEG2000Lossless, uid.RLELossless)

# pydicom is imported while pylibjpeg cannot be; then pylibjpeg is "installed" (unhidden).
SCRIPT = """
import json, sys

HIDDEN = ("pylibjpeg", "libjpeg", "openjpeg", "rle")


class Hider:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}")


hider = Hider()
sys.meta_path.insert(0, hider)
from test_decoders_installed_later import decoder_state, outcomes
from radiographqc import dicom_io

dicom_io.refresh_decoders()
absent = outcomes()
sys.meta_path.remove(hider)
stale, stale_state = outcomes(), decoder_state()
dicom_io.refresh_decoders()
refreshed, state = outcomes(), decoder_state()
dicom_io.refresh_decoders()
print(json.dumps({"absent": absent, "stale": stale, "stale_state": stale_state,
                  "refreshed": refreshed, "state": state, "again": outcomes()}))
"""


def outcomes():
    """A hash of the pixels read_radiograph gives for each of FILES, or its error."""
    found = {}
    for kind, name in FILES.items():
        try:
            pixels = dicom_io.read_radiograph(get_testdata_file(name, download=False)).pixels
        except dicom_io.InputError as exc:
            found[kind] = f"error: {exc}"
        else:
            found[kind] = hashlib.sha256(pixels.tobytes()).hexdigest()
    return found


def decoder_state():
    """What pydicom thinks it can decode with, in the order it tries: pydicom 3's available
    plugins of each decoder; pydicom 2.4's handler availability and pylibjpeg plugin flags."""
    if dicom_io.get_decoder is not None:
        return {s: list(dicom_io.get_decoder(s)._available) for s in SYNTAXES}
    handlers = dicom_io.pydicom_config.pixel_data_handlers
    [pylibjpeg] = [h for h in handlers if h.HANDLER_NAME == "pylibjpeg"]
    return [[h.HANDLER_NAME, h.is_available()] for h in handlers] + [
        pylibjpeg.HAVE_LIBJPEG, pylibjpeg.HAVE_OPENJPEG, pylibjpeg.HAVE_RLE]


def test_decoders_installed_after_pydicom_was_imported_decode_after_refresh_decoders():
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=Path(__file__).parent,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    normal, state = outcomes(), decoder_state()
    # Installed but not yet seen: pydicom still lacks the decoders it had none of at import.
    assert "no decoder installed" in seen["stale"]["jpeg-ls"]
    assert "install pylibjpeg and pylibjpeg-libjpeg" in seen["stale"]["jpeg-ls"]
    assert seen["stale"]["jpeg"].startswith("error: ")
    assert seen["stale_state"] != state
    # Refreshing while pylibjpeg is absent changes nothing; once installed, it gives what a
    # normal import gives, plugin order included, and again when nothing changed since.
    assert seen["absent"] == seen["stale"]
    assert seen["refreshed"] == seen["again"] == normal
    assert seen["state"] == state
