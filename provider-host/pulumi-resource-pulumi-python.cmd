@echo off
REM The host of this project's dynamic resources on Windows; the same choice of Python as the sh launcher beside
REM it, as Pulumi's own pulumi-resource-pulumi-python.cmd makes it (SDK 3.274.1).
setlocal
set "ROOT=%~dp0.."

if not defined PULUMI_RUNTIME_VIRTUALENV (
    if "%PULUMI_RUNTIME_TOOLCHAIN%"=="uv" (
        set PULUMI_RUNTIME_VIRTUALENV=.venv
    ) else if "%PULUMI_RUNTIME_TOOLCHAIN%"=="poetry" (
        for /f "tokens=*" %%i in ('poetry env info --path') do set PULUMI_RUNTIME_VIRTUALENV=%%i
    )
)

if defined PULUMI_RUNTIME_VIRTUALENV (
    if not exist "%PULUMI_RUNTIME_VIRTUALENV%\Scripts\python.exe" (
        echo The 'virtualenv' option in Pulumi.yaml is set to %PULUMI_RUNTIME_VIRTUALENV%, but it is not a virtual environment. 1>&2
        echo Run `make setup` in %ROOT% to create it with the project's pinned requirements. 1>&2
        exit /B 1
    )
    set "PATH=%PULUMI_RUNTIME_VIRTUALENV%\Scripts;%PATH%"
    set PYTHONHOME=
    set "PYTHONPATH=%ROOT%;%PYTHONPATH%"
    "%PULUMI_RUNTIME_VIRTUALENV%\Scripts\python.exe" -u -m wms_connector.providers.host %*
    exit /B
)
set "PYTHONPATH=%ROOT%;%PYTHONPATH%"
if defined PULUMI_PYTHON_CMD (
    "%PULUMI_PYTHON_CMD%" -u -m wms_connector.providers.host %*
) else (
    python -u -m wms_connector.providers.host %*
)
