<#
.SYNOPSIS
    Writes the vigil inventory of this Windows server: OS build with update revision (UBR), the
    Exchange Server build read from ExSetup.exe, and the installed updates (Get-HotFix).

.DESCRIPTION
    Run on each Windows server (as Administrator, so that the registry and Exchange install path are
    readable), or remotely:
        Invoke-Command -ComputerName MAIL01 -FilePath .\windows-inventory.ps1 -ArgumentList 'C:\vigil'
    The file is named vigil-inventory-<COMPUTERNAME>.json (and/or .csv), which `vigil scan` recognises.
    Works in Windows PowerShell 5.1 and PowerShell 7. Read-only: it changes nothing on the server.

    The Exchange build is ExSetup.exe's file version, because AdminDisplayVersion (Get-ExchangeServer)
    does not change when a Security Update is installed. See docs/windows-inventory.md.

.PARAMETER OutputDirectory
    Folder for the output file(s). Default: the current folder.

.PARAMETER Format
    Json (default), Csv, or Both.
#>
[CmdletBinding()]
param(
    [string] $OutputDirectory = (Get-Location).Path,
    [ValidateSet('Json', 'Csv', 'Both')]
    [string] $Format = 'Json'
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

function Get-IsoDate([object] $Value) {
    # Dates are written as ISO strings here, so the output is the same in PowerShell 5.1 and 7.
    if ($null -eq $Value) { return $null }
    try { return ([datetime] $Value).ToString('yyyy-MM-dd', [Globalization.CultureInfo]::InvariantCulture) }
    catch { return [string] $Value }
}

# --- Operating system -------------------------------------------------------------------------
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$cv = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$ubr = $null
if ($cv.PSObject.Properties.Name -contains 'UBR') { $ubr = [int] $cv.UBR }

# --- Exchange Server --------------------------------------------------------------------------
$exchange = $null
$installPath = $env:ExchangeInstallPath
if (-not $installPath) {
    $setupKey = 'HKLM:\SOFTWARE\Microsoft\ExchangeServer\v15\Setup'
    if (Test-Path $setupKey) { $installPath = (Get-ItemProperty -Path $setupKey).MsiInstallPath }
}
if ($installPath) {
    $exSetup = Join-Path $installPath 'Bin\ExSetup.exe'
    $exSetupVersion = $null
    if (Test-Path $exSetup) {
        $vi = (Get-Item $exSetup).VersionInfo
        # The numeric parts, not FileVersion's text (which pads: 15.02.0792.003).
        $exSetupVersion = '{0}.{1}.{2}.{3}' -f $vi.FileMajorPart, $vi.FileMinorPart, $vi.FileBuildPart, $vi.FilePrivatePart
    }
    $adminDisplayVersion = $null; $edition = $null; $role = $null
    if (-not (Get-Command Get-ExchangeServer -ErrorAction SilentlyContinue)) {
        $snapin = 'Microsoft.Exchange.Management.PowerShell.SnapIn'
        if (Get-PSSnapin -Registered -Name $snapin -ErrorAction SilentlyContinue) {
            Add-PSSnapin $snapin -ErrorAction SilentlyContinue
        }
    }
    if (Get-Command Get-ExchangeServer -ErrorAction SilentlyContinue) {
        try {
            $ex = Get-ExchangeServer -Identity $env:COMPUTERNAME
            $adminDisplayVersion = [string] $ex.AdminDisplayVersion
            $edition = [string] $ex.Edition
            $role = [string] $ex.ServerRole
        } catch {
            Write-Warning "Get-ExchangeServer failed: $_"
        }
    }
    $exchange = [pscustomobject][ordered]@{
        AdminDisplayVersion = $adminDisplayVersion
        ExSetupVersion      = $exSetupVersion
        Edition             = $edition
        ServerRole          = $role
    }
}

# --- Installed updates ------------------------------------------------------------------------
$hotfixes = @(Get-HotFix | Sort-Object HotFixID | ForEach-Object {
    [pscustomobject][ordered]@{
        HotFixID    = [string] $_.HotFixID
        Description = [string] $_.Description
        InstalledOn = Get-IsoDate $_.InstalledOn
    }
})

$inventory = [pscustomobject][ordered]@{
    VigilInventory = 1
    ComputerName   = $env:COMPUTERNAME
    CollectedAt    = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture)
    OS             = [pscustomobject][ordered]@{
        Caption     = [string] $os.Caption
        Version     = [string] $os.Version
        BuildNumber = [string] $os.BuildNumber
        UBR         = $ubr
    }
    Exchange       = $exchange
    HotFixes       = $hotfixes
}

$base = Join-Path $OutputDirectory ('vigil-inventory-{0}' -f $env:COMPUTERNAME)
$utf8NoBom = New-Object System.Text.UTF8Encoding $false

if ($Format -in 'Json', 'Both') {
    $json = $inventory | ConvertTo-Json -Depth 4
    [System.IO.File]::WriteAllText("$base.json", $json, $utf8NoBom)
    Write-Host "Wrote $base.json"
}

if ($Format -in 'Csv', 'Both') {
    # One row per property path of the JSON form: OS.UBR, Exchange.ExSetupVersion, HotFixes[0].HotFixID, ...
    $rows = New-Object System.Collections.Generic.List[object]
    function Add-Rows([string] $Prefix, [object] $Value) {
        if ($null -eq $Value) { return }
        if ($Value -is [System.Management.Automation.PSCustomObject]) {
            foreach ($p in $Value.PSObject.Properties) {
                $name = if ($Prefix) { "$Prefix.$($p.Name)" } else { $p.Name }
                Add-Rows $name $p.Value
            }
        } elseif ($Value -is [array]) {
            for ($i = 0; $i -lt $Value.Count; $i++) { Add-Rows ('{0}[{1}]' -f $Prefix, $i) $Value[$i] }
        } else {
            $rows.Add([pscustomobject][ordered]@{ Property = $Prefix; Value = [string] $Value })
        }
    }
    Add-Rows '' $inventory
    $csv = ($rows | ConvertTo-Csv -NoTypeInformation) -join "`r`n"
    [System.IO.File]::WriteAllText("$base.csv", $csv + "`r`n", $utf8NoBom)
    Write-Host "Wrote $base.csv"
}
