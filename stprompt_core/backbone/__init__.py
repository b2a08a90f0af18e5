"""CLIP backbones through open_clip (ViT-B/16 for the paper, small models offline)."""
