"""The report layer: result folders in, verdicts, tables, figures and glued values out (see ARCHITECTURE.md)."""
