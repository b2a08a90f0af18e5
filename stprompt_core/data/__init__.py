"""Dataset manifests and loaders."""
