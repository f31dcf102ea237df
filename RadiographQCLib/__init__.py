"""The Slicer side shared by the WristQC and LumbarQC modules: MRML helpers (`mrml`), the shared widget
code (`qcwidget`), what a path field's text means (`paths`), the Sample Data entries (`samples`) and the
dependency check (`dependencies`). Imports slicer/vtk/qt; the pure `radiographqc` package never imports this."""
