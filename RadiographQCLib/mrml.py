"""MRML plumbing shared by the WristQC and LumbarQC logics: radiograph volumes, the pixel <-> RAS
mapping, markups, segments and result tables. No Qt, no global scene: every function takes its nodes
or scene. Imports VTK (and Slicer for segmentations): only the Slicer modules and their tests import
this module, the pure `radiographqc` package never does.

A radiograph is a single-slice volume with IJK-to-RAS diag(-col_mm, -row_mm, 1) (DICOM's LPS with x
and y flipped into RAS, as Slicer's DICOM reader builds it), so pixel (x, y) = (column, row) of the
package's convention is IJK (x, y, 0) and the pixel centre (0, 0) sits at the RAS origin.
"""
from __future__ import annotations

import json

import numpy as np
import vtk
from vtk.util import numpy_support

from radiographqc.image import Radiograph, Spacing

ATTR = "RadiographQC."  # prefix of the node attributes this extension writes (saved with the scene)


def ijkToRasMatrix(spacing: Spacing | None) -> vtk.vtkMatrix4x4:
    """IJK-to-RAS of a radiograph; without a known spacing the volume is laid out in pixel units (the
    QC items that need millimetres are then reported as not assessable, never computed from this)."""
    col_mm, row_mm = (1.0, 1.0) if spacing is None else (spacing.col_mm, spacing.row_mm)
    matrix = vtk.vtkMatrix4x4()
    matrix.SetElement(0, 0, -col_mm)
    matrix.SetElement(1, 1, -row_mm)
    return matrix


def setVolumePixels(volumeNode, pixels: np.ndarray) -> None:
    """Make a single-slice image of a (rows, cols) array the volume's image data (a copy)."""
    image = vtk.vtkImageData()
    image.SetDimensions(pixels.shape[1], pixels.shape[0], 1)
    image.AllocateScalars(numpy_support.get_vtk_array_type(pixels.dtype), 1)
    numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())[:] = pixels.ravel()
    volumeNode.SetAndObserveImageData(image)


def _spacingToJson(spacing: Spacing | None) -> str:
    if spacing is None:
        return "null"
    return json.dumps({"row_mm": spacing.row_mm, "col_mm": spacing.col_mm, "source": spacing.source})


def addRadiographVolume(scene, radiograph: Radiograph, name: str):
    """A scalar volume node holding the radiograph (bone bright), with its window on the display node
    and what the QC needs besides the pixels (spacing and its source, header, view) as node attributes,
    so that the case can be scored again after the scene is saved and loaded."""
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", name)
    node.SetIJKToRASMatrix(ijkToRasMatrix(radiograph.spacing))
    setVolumePixels(node, np.ascontiguousarray(radiograph.pixels, dtype=np.float32))
    node.CreateDefaultDisplayNodes()
    display = node.GetDisplayNode()
    if radiograph.window is not None:
        center, width = radiograph.window
        display.AutoWindowLevelOff()
        display.SetWindowLevel(float(width), float(center))
    meta = {"path": radiograph.path, "spacing": _spacingToJson(radiograph.spacing),
            "header": json.dumps(radiograph.header), "view": radiograph.view or "",
            "laterality": radiograph.laterality or "", "bodyPart": radiograph.body_part or "",
            "photometric": radiograph.photometric, "transferSyntax": radiograph.transfer_syntax or "",
            "window": json.dumps(radiograph.window)}
    for key, value in meta.items():
        node.SetAttribute(ATTR + key, value)
    return node


def addOverlayVolume(scene, referenceNode, pixels: np.ndarray, name: str, valueRange=(0.0, 1.0)):
    """A scalar volume on the reference volume's grid (a heatmap to show semi-transparent over it),
    its display window fixed to `valueRange` so equal values look equal in every case."""
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", name)
    matrix = vtk.vtkMatrix4x4()
    referenceNode.GetIJKToRASMatrix(matrix)
    node.SetIJKToRASMatrix(matrix)
    setVolumePixels(node, np.ascontiguousarray(pixels, dtype=np.float32))
    node.CreateDefaultDisplayNodes()
    display = node.GetDisplayNode()
    display.AutoWindowLevelOff()
    display.SetWindowLevelMinMax(*valueRange)
    return node


def pixelsFromVolume(volumeNode) -> np.ndarray:
    """The (rows, cols) pixel array of a single-slice volume (a copy)."""
    image = volumeNode.GetImageData()
    cols, rows, _ = image.GetDimensions()
    return numpy_support.vtk_to_numpy(image.GetPointData().GetScalars()).reshape(rows, cols).copy()


def radiographFromVolume(volumeNode) -> Radiograph:
    """The Radiograph a volume was made from, rebuilt from its pixels and attributes. A volume that
    another reader loaded has no spacing the QC can trust and no header: both are reported missing."""
    def attr(key):
        return volumeNode.GetAttribute(ATTR + key) or ""

    spacing = json.loads(attr("spacing") or "null")
    window = json.loads(attr("window") or "null")
    return Radiograph(
        path=attr("path") or volumeNode.GetName(), pixels=pixelsFromVolume(volumeNode),
        spacing=None if spacing is None else Spacing(spacing["row_mm"], spacing["col_mm"], spacing["source"]),
        header=json.loads(attr("header") or "{}"), view=attr("view") or None,
        laterality=attr("laterality") or None, body_part=attr("bodyPart") or None,
        photometric=attr("photometric") or "unknown", transfer_syntax=attr("transferSyntax") or None,
        window=None if window is None else tuple(window))


def isRadiographVolume(volumeNode) -> bool:
    """True for a volume made by addRadiographVolume (the module's loader)."""
    return volumeNode is not None and volumeNode.GetAttribute(ATTR + "spacing") is not None


def pixelToRas(volumeNode, xy) -> tuple[float, float, float]:
    """RAS position of pixel (x, y) = (column, row) of the volume's slice."""
    matrix = vtk.vtkMatrix4x4()
    volumeNode.GetIJKToRASMatrix(matrix)
    return tuple(matrix.MultiplyPoint((float(xy[0]), float(xy[1]), 0.0, 1.0))[:3])


def rasToPixel(volumeNode, ras) -> tuple[float, float]:
    """Pixel (x, y) = (column, row) of a RAS position (its slice offset is ignored)."""
    matrix = vtk.vtkMatrix4x4()
    volumeNode.GetRASToIJKMatrix(matrix)
    ijk = matrix.MultiplyPoint((float(ras[0]), float(ras[1]), float(ras[2]), 1.0))
    return (ijk[0], ijk[1])


def addMarkups(scene, className: str, name: str, color=None, locked=True):
    """A markups node with display nodes; measurement helpers are locked so only keypoints are dragged."""
    node = scene.AddNewNodeByClass(className, name)
    node.CreateDefaultDisplayNodes()
    node.SetLocked(locked)
    if color is not None:
        node.GetDisplayNode().SetSelectedColor(*color)
    return node


def setMarkupsPixels(markupsNode, volumeNode, points) -> None:
    """Place the control points of a line/angle at pixel positions (one Modified event for all);
    hide the node when a position is missing (a keypoint it needs is absent)."""
    if points is None:
        markupsNode.GetDisplayNode().SetVisibility(False)
        return
    wasModifying = markupsNode.StartModify()
    for index, xy in enumerate(points):
        ras = pixelToRas(volumeNode, xy)
        if index < markupsNode.GetNumberOfControlPoints():
            markupsNode.SetNthControlPointPosition(index, *ras)
        else:
            markupsNode.AddControlPoint(vtk.vtkVector3d(*ras))
    markupsNode.EndModify(wasModifying)
    markupsNode.GetDisplayNode().SetVisibility(True)


def setRoiPixels(roiNode, volumeNode, bbox) -> None:
    """Make a markups ROI cover the inclusive pixel box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = bbox
    corner0 = np.array(pixelToRas(volumeNode, (x0 - 0.5, y0 - 0.5)))
    corner1 = np.array(pixelToRas(volumeNode, (x1 + 0.5, y1 + 0.5)))
    roiNode.SetCenter(*((corner0 + corner1) / 2))
    roiNode.SetSize(*np.abs(corner1 - corner0))


def writeTable(tableNode, columns, rows) -> None:
    """Fill a table node: `columns` is [(name, "string" | "int" | "double")], `rows` a list of tuples.
    The columns are kept when they already match, so views on the table stay attached."""
    table = tableNode.GetTable()
    names = [table.GetColumnName(i) for i in range(table.GetNumberOfColumns())]
    if names != [name for name, _ in columns]:
        tableNode.RemoveAllColumns()
        for name, kind in columns:
            array = {"string": vtk.vtkStringArray, "int": vtk.vtkIntArray, "double": vtk.vtkDoubleArray}[kind]()
            array.SetName(name)
            table.AddColumn(array)
    table.SetNumberOfRows(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.SetValue(r, c, vtk.vtkVariant(value))
    table.Modified()
    tableNode.Modified()


def readTable(tableNode) -> list[dict]:
    """The rows of a table node as dicts of strings (column name -> cell text)."""
    table = tableNode.GetTable()
    names = [table.GetColumnName(i) for i in range(table.GetNumberOfColumns())]
    return [{name: table.GetValue(r, c).ToString() for c, name in enumerate(names)}
            for r in range(table.GetNumberOfRows())]


# ---------------------------------------------------------------------- segmentations

def orientedImageFromMask(mask: np.ndarray, volumeNode):
    """A binary labelmap (vtkOrientedImageData) of a (rows, cols) mask on the volume's pixel grid."""
    import slicer

    image = slicer.vtkOrientedImageData()
    image.SetDimensions(mask.shape[1], mask.shape[0], 1)
    image.AllocateScalars(vtk.VTK_UNSIGNED_CHAR, 1)
    numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())[:] = (np.asarray(mask) > 0).ravel()
    matrix = vtk.vtkMatrix4x4()
    volumeNode.GetIJKToRASMatrix(matrix)
    image.SetImageToWorldMatrix(matrix)
    return image


def addSegment(segmentationNode, segmentId: str, name: str, color, mask: np.ndarray, volumeNode,
               terminology: str | None = None) -> str:
    """Add a segment with a fixed id (so the logic finds it again whatever a reviewer renames).
    The terminology entry is set as the segment's tag: vtkSegment.SetTerminology only exists from
    Slicer 5.10, the tag (which SetTerminology writes) in every version."""
    import slicer

    segment = slicer.vtkSegment()
    segment.SetName(name)
    segment.SetColor(*color)
    segment.AddRepresentation(slicer.vtkSegmentationConverter.GetBinaryLabelmapRepresentationName(),
                              orientedImageFromMask(mask, volumeNode))
    if terminology:
        segment.SetTag(slicer.vtkSegment.GetTerminologyEntryTagName(), terminology)
    segmentationNode.GetSegmentation().AddSegment(segment, segmentId)
    return segmentId


def setSegmentMask(segmentationNode, segmentId: str, mask: np.ndarray, volumeNode) -> None:
    """Replace a segment's pixels the way Segment Editor effects do (one undoable modification)."""
    import slicer

    logic = slicer.vtkSlicerSegmentationsModuleLogic
    logic.SetBinaryLabelmapToSegment(orientedImageFromMask(mask, volumeNode), segmentationNode, segmentId,
                                     logic.MODE_REPLACE)


def _segmentLabelmap(segmentationNode, segmentId: str):
    """The segment's own binary labelmap (no copy; several segments may share it as layers, each
    with its label value) and the segment."""
    import slicer

    segment = segmentationNode.GetSegmentation().GetSegment(segmentId)
    name = slicer.vtkSegmentationConverter.GetBinaryLabelmapRepresentationName()
    return segment.GetRepresentation(name), segment


def segmentMaskState(segmentationNode, segmentId: str) -> tuple:
    """What identifies the current content of a segment's mask: its labelmap object, the labelmap's
    modification time and the segment's label value in it. Every edit (Segment Editor effects,
    SetBinaryLabelmapToSegment) modifies or replaces the labelmap, so an unchanged state means an
    unchanged mask."""
    labelmap, segment = _segmentLabelmap(segmentationNode, segmentId)
    if labelmap is None:
        return (None, 0, segment.GetLabelValue())
    return (labelmap.GetAddressAsString("vtkOrientedImageData"), labelmap.GetMTime(), segment.GetLabelValue())


def segmentMask(segmentationNode, segmentId: str, shape) -> np.ndarray:
    """The (rows, cols) boolean mask of a segment on the reference volume's pixel grid, read in place
    from the labelmap's extent (no copy of the labelmap)."""
    labelmap, segment = _segmentLabelmap(segmentationNode, segmentId)
    mask = np.zeros(shape, dtype=bool)
    if labelmap is None or labelmap.GetPointData().GetScalars() is None:
        return mask
    x0, x1, y0, y1, _, _ = labelmap.GetExtent()
    if x1 < x0 or y1 < y0:
        return mask
    values = numpy_support.vtk_to_numpy(labelmap.GetPointData().GetScalars()).reshape(y1 - y0 + 1, x1 - x0 + 1)
    # The labelmap may extend past the volume (effects can paint outside): keep the volume's part.
    ys, xs = slice(max(y0, 0), min(y1 + 1, shape[0])), slice(max(x0, 0), min(x1 + 1, shape[1]))
    if ys.start < ys.stop and xs.start < xs.stop:
        part = values[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0]
        mask[ys, xs] = part == segment.GetLabelValue()
    return mask
