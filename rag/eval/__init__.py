"""Evaluation: question sets (``questions``), the runner (``runner``), metrics (``metrics``)
and the written outputs (``report``). Nothing outside this package and the CLI's
``eval`` command imports it (an import-linter contract in the tests checks that)."""
