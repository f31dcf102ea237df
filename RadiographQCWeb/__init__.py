"""RadiographQC in the browser: trame-slicer review app over the WristQC/LumbarQC logics.

The logics live in the Slicer module folders (WristQC/WristQCLib, LumbarQC/LumbarQCLib), where Slicer
finds them; the app puts those folders on sys.path as Slicer does when it loads a module.
"""
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _module in ("WristQC", "LumbarQC"):
    _folder = os.path.join(_ROOT, _module)
    if os.path.isdir(_folder) and _folder not in sys.path:
        sys.path.append(_folder)
