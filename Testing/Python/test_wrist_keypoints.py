import json

import pytest

from radiographqc.errors import InputError
from radiographqc.wrist.keypoints import Keypoint, Keypoints, read_keypoints, write_keypoints


def _write(tmp_path, data, name="kp.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _labelme(shapes, **extra):
    return {"version": "5.4.1", "flags": {}, "imagePath": "x.png", "imageHeight": 100, "imageWidth": 80,
            "shapes": [{"label": label, "points": pts, "shape_type": "point", "flags": {}} for label, pts in shapes],
            **extra}


def test_project_format_reads_points_absent_points_and_confidences(tmp_path):
    path = _write(tmp_path, {"view": "AP", "points": {"P1": None, "P2": [10, 20.5],
                                                      "P3": {"xy": [30, 40], "confidence": 0.75}}})
    kps = read_keypoints(path)
    assert kps.view == "AP"
    assert kps.points == {"P1": Keypoint(None), "P2": Keypoint((10.0, 20.5)), "P3": Keypoint((30.0, 40.0), 0.75)}


def test_points_not_listed_are_absent(tmp_path):
    kps = read_keypoints(_write(tmp_path, {"view": "LAT", "points": {"P1": [1, 2]}}))
    assert [pid for pid, kp in kps.points.items() if kp.xy is None] == ["P2", "P3", "P4", "P5"]


@pytest.mark.parametrize("given, view", [("PA", "AP"), ("ap", "AP"), ("LATERAL", "LAT"), ("lat", "LAT")])
def test_view_spellings_are_normalised(tmp_path, given, view):
    assert read_keypoints(_write(tmp_path, {"view": given, "points": {}})).view == view


def test_written_keypoints_read_back_identically(tmp_path):
    kps = Keypoints("LAT", {"P1": Keypoint((1.5, 2.25), 0.9), "P2": Keypoint((3.0, 4.0)), "P5": Keypoint(None, 0.1)})
    path = write_keypoints(tmp_path / "out.keypoints.json", kps)
    assert read_keypoints(path) == kps


def test_labelme_chinese_ap_labels_give_the_ap_view_and_pixel_centre_coordinates(tmp_path):
    path = _write(tmp_path, _labelme([("拇指指掌关节", [[10.5, 20.5]]), ("桡骨茎突", [[30, 60]]),
                                      ("尺骨茎突", [[50.5, 62.5]])]))
    kps = read_keypoints(path)
    assert kps.view == "AP"
    # Labelme's origin is the image corner, ours the centre of the first pixel: -0.5 px
    assert kps.xy("P1") == (10.0, 20.0) and kps.xy("P2") == (29.5, 59.5) and kps.xy("P3") == (50.0, 62.0)


def test_labelme_chinese_lateral_labels_give_the_lateral_view(tmp_path):
    labels = ["舟骨中心", "桡骨远端中心", "桡骨近端中心", "尺骨远端中心", "尺骨近端中心"]
    path = _write(tmp_path, _labelme([(label, [[i + 0.5, 2 * i + 0.5]]) for i, label in enumerate(labels)]))
    kps = read_keypoints(path)
    assert kps.view == "LAT"
    assert [kps.xy(f"P{i + 1}") for i in range(5)] == [(float(i), float(2 * i)) for i in range(5)]


def test_labelme_english_names_are_matched_ignoring_case_spaces_and_spelling_of_centre(tmp_path):
    path = _write(tmp_path, _labelme([("Scaphoid Center", [[1, 1]]), ("distal-radius", [[2, 2]]),
                                      ("proximal_radius", [[3, 3]]), ("distal_ulna", [[4, 4]]),
                                      ("proximal ulna", [[5, 5]])]))
    kps = read_keypoints(path)
    assert kps.view == "LAT" and kps.xy("P5") == (4.5, 4.5)


def test_labelme_missing_point_is_absent(tmp_path):
    kps = read_keypoints(_write(tmp_path, _labelme([("radial_styloid", [[1, 1]]), ("ulnar_styloid", [[2, 2]])])))
    assert kps.view == "AP" and kps.xy("P1") is None


def test_labelme_view_comes_from_flags_when_labels_are_p_numbers(tmp_path):
    shapes = [("P1", [[1, 1]]), ("P2", [[2, 2]]), ("P3", [[3, 3]])]
    assert read_keypoints(_write(tmp_path, _labelme(shapes, flags={"view": "PA"}))).view == "AP"
    assert read_keypoints(_write(tmp_path, _labelme(shapes, flags={"LAT": True, "AP": False}))).view == "LAT"


def test_labelme_p4_label_means_lateral(tmp_path):
    assert read_keypoints(_write(tmp_path, _labelme([("P1", [[1, 1]]), ("P4", [[2, 2]])]))).view == "LAT"


def test_labelme_non_point_shapes_are_ignored(tmp_path):
    data = _labelme([("radial_styloid", [[1, 1]])])
    data["shapes"].append({"label": "marker", "points": [[0, 0], [5, 5]], "shape_type": "rectangle"})
    assert read_keypoints(_write(tmp_path, data)).xy("P2") == (0.5, 0.5)


@pytest.mark.parametrize("data, message", [
    ({"view": "OBLIQUE", "points": {}}, "unknown view 'OBLIQUE'"),
    ({"points": {}}, "unknown view None"),
    ({"view": "AP", "points": {"P4": [1, 2]}}, "unknown point 'P4'"),
    ({"view": "AP", "points": {"P1": [1, 2, 3]}}, "expected 2 coordinates"),
    ({"view": "AP", "points": {"P1": ["a", 2]}}, "finite numbers"),
    ({"view": "AP", "points": {"P1": {"xy": [1, 2], "confidence": 2}}}, "confidence"),
    ({"view": "AP", "points": {"P2": [1, 2], "radial_styloid": [1, 2]}}, "given twice"),
    (_labelme([("wrist", [[1, 1]])], flags={"view": "AP"}), "unknown label 'wrist'"),
    (_labelme([("wrist", [[1, 1]])]), "do not name the keypoints"),
    (_labelme([("P1", [[1, 1]]), ("P2", [[2, 2]])]), "cannot tell the view"),
    (_labelme([("P2", [[1, 1], [2, 2]])], flags={"view": "AP"}), "exactly one [x, y]"),
    (_labelme([("P2", [[1, 1]]), ("radial styloid", [[2, 2]])]), "more than once"),
    ({"something": 1}, "not a keypoint file"),
])
def test_bad_keypoint_files_raise_input_error_naming_the_file_and_the_problem(tmp_path, data, message):
    path = _write(tmp_path, data)
    with pytest.raises(InputError) as err:
        read_keypoints(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_invalid_json_raises_input_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read keypoint JSON"):
        read_keypoints(path)


def test_keypoints_of_the_wrong_view_are_rejected_in_memory():
    with pytest.raises(ValueError):
        Keypoints("AP", {"P5": Keypoint((1, 1))})
