"""The database preflight: checks the Oracle side of capture with the CDC user (ARCHIVELOG, supplemental logging,
LogMiner privileges, redo sizing, PDB, heartbeat table) and says what SQL fixes what fails."""

from wms_connector.preflight.checks import CheckResult, PreflightReport
from wms_connector.preflight.run import PreflightTarget, render, run_preflight

__all__ = ["CheckResult", "PreflightReport", "PreflightTarget", "render", "run_preflight"]
