"""xtl: English intermediate-task training for zero-shot cross-lingual transfer (Phang et al. 2020)."""

import warnings

# In a notebook without ipywidgets, tqdm.auto (imported by datasets/transformers) warns once and falls
# back to plain text bars, which is what the executed notebooks should show; the warning is noise there.
warnings.filterwarnings("ignore", message="IProgress not found")

__version__ = "0.1.0"
