"""The bundled sample radiographs in Slicer's Sample Data module, loaded with the QC reader and shown.

Sample Data calls a custom downloader and nothing else (Modules/Scripted/SampleData/SampleData.py at
v5.10.0: the button's `clicked()` runs `source.customDownloader(source)`), so the downloader itself
must put the volume in the views.
"""
from __future__ import annotations

from pathlib import Path

SAMPLE_CATEGORY = "RadiographQC"


def samplesFolder(moduleFile) -> Path | None:
    """Resources/Samples of the extension: beside the module file when installed, one level up in a
    source checkout."""
    here = Path(moduleFile).resolve().parent
    for candidate in (here / "Resources" / "Samples", here.parent / "Resources" / "Samples"):
        if candidate.is_dir():
            return candidate
    return None


def showRadiograph(volumeNode, foreground=None, foregroundOpacity=None):
    """A radiograph is one slice: one large axial view, fitted to the image."""
    import slicer

    layoutManager = slicer.app.layoutManager()
    if layoutManager is not None:
        layoutManager.setLayout(slicer.vtkMRMLLayoutNode.SlicerLayoutOneUpRedSliceView)
    slicer.util.setSliceViewerLayers(background=volumeNode, foreground=foreground,
                                     foregroundOpacity=foregroundOpacity, fit=True)


def sampleDownloader(path: Path, logicFactory, show=showRadiograph):
    """A Sample Data downloader that reads `path` with a module logic's loader and shows it."""
    def download(source=None):
        import slicer

        volume = logicFactory(slicer.mrmlScene).loadRadiograph(path)
        show(volume)
        return volume
    return download


def registerSamples(moduleFile, subfolder: str, title: str, logicFactory, iconPath):
    """One Sample Data entry per Resources/Samples/<subfolder>/*.dcm (ground truth stays in truth/,
    so Apply runs the bundled models on them)."""
    import SampleData

    folder = samplesFolder(moduleFile)
    if folder is None:
        return
    for dicom in sorted((folder / subfolder).glob("*.dcm")):
        SampleData.SampleDataLogic.registerCustomSampleDataSource(
            category=SAMPLE_CATEGORY, sampleName=f"{title} {dicom.stem}", uris=dicom.as_uri(),
            fileNames=dicom.name, nodeNames=dicom.stem, thumbnailFileName=str(iconPath), loadFiles=False,
            customDownloader=sampleDownloader(dicom, logicFactory))
