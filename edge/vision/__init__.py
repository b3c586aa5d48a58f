"""Vision: face detection and tracking, landmarks, iris, head pose, gaze (see facemesh.FaceMesh)."""
