"""Video input: PyAV decoding of sampled frames, frame geometry, parallel loading, mp4 writing."""
