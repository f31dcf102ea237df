"""The Slicer side shared by the WristQC and LumbarQC modules: MRML helpers (`mrml`), the shared widget
code (`qcwidget`) and the dependency check (`dependencies`). Imports slicer/vtk/qt; the pure
`radiographqc` package never imports this."""
