"""The benchmark harness (`make bench`): xtl's training loop against `transformers.Trainer`, outside the package."""
